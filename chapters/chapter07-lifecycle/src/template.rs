//! The Go `text/template` language of `docker inspect --format` and `docker ps --format`,
//! evaluated on the inspect JSON of a container or image.
//!
//! Docker runs these templates on its Go structs and, when that fails, on the JSON decoded into
//! `map[string]interface{}`. We only have the JSON, so Go's rules for maps apply: `.State.Status`
//! looks up keys (exact case); a missing key prints `<no value>`, and so does any field below
//! it; a field of JSON `null` or of a string is an error; values print like Go's `fmt` `%v`
//! (`[a b]`, `map[k:v]` with sorted keys, `<nil>`). Parse once, then render once per object.
//!
//! Three parts: a lexer (text to tokens), a parser (tokens to a tree of nodes), an evaluator.
//!
//! Left out on purpose: `define`/`template`/`block`, `break`/`continue`, assignment with `=`,
//! `{{else with}}`, character, hex and complex literals, `lt`/`le`/`gt`/`ge`, `slice`,
//! `html`/`js`/`urlquery`/`call`, docker's `pad`/`truncate`, and printf verbs other than
//! `%v %s %d %q %t` (with `-` and a width). Error columns point at the start of a field chain
//! (Go points at its second field).

use serde_json::Value;
use std::fmt::{self, Write as _};
use std::ops::Range;

/// A parsed template, ready to render any number of objects.
#[derive(Debug)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

/// A parse or execution error, worded like Go's so docker users recognise it.
#[derive(Debug)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

impl Template {
    /// Parses `text`; errors read `template parsing error: template: :LINE: …` like docker's.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let (toks, vars) = (lex(text), vec!["$".to_string()]);
        let mut parser = Parser {
            src: text,
            toks,
            next: 0,
            last: 0,
            vars,
        };
        match parser.list()? {
            (nodes, Stop::Eof) => Ok(Template {
                source: text.to_string(),
                nodes,
            }),
            (_, Stop::End) => Err(parser.err("unexpected {{end}}")),
            (_, Stop::Else | Stop::ElseIf) => Err(parser.err("unexpected {{else}}")),
        }
    }

    /// Renders with `data` as `.` and `$`; errors read
    /// `template: :LINE:COL: executing "" at <NODE>: …` like Go's.
    pub fn render(&self, data: &Value) -> Result<String, TemplateError> {
        let vars = vec![("$".to_string(), Some(data.clone()))];
        let mut out = String::new();
        Exec {
            src: &self.source,
            vars,
        }
        .walk(&self.nodes, data, &mut out)?;
        Ok(out)
    }
}

// ---- Lexer --------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text(String),
    Open,
    Close,
    Dot,
    Field(String),
    Var(String),
    Ident(String),
    Lit(Value),
    /// `|`, `(`, `)`, `,`, and `=` for `:=`.
    Sym(char),
    Error(String),
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    pos: usize,
    end: usize,
    /// Whitespace came before it: `.A .B` is two operands, `.A.B` one field chain.
    spaced: bool,
}

/// Go's whitespace inside actions and around trim markers.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The lexer: splits the text into literal text and the tokens of each `{{ … }}`, applying the
/// trim markers (`{{- ` and ` -}}` eat the whitespace beside them) and dropping comments. A
/// lexing error becomes the last token, so the parser reports whichever problem comes first in
/// the text, as Go's does.
fn lex(src: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        toks: Vec::new(),
    };
    let last = lexer.run().map_or_else(Kind::Error, |()| Kind::Eof);
    lexer.push(last, lexer.pos, false);
    lexer.toks
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn push(&mut self, kind: Kind, pos: usize, spaced: bool) {
        let end = self.pos;
        self.toks.push(Token {
            kind,
            pos,
            end,
            spaced,
        });
    }

    fn run(&mut self) -> Result<(), String> {
        let mut trim_start = false;
        loop {
            let open = self
                .rest()
                .find("{{")
                .map_or(self.src.len(), |i| self.pos + i);
            let after = &self.src[open..];
            let trim_end = after.starts_with("{{-") && after[3..].starts_with(is_space);
            let mut text = &self.src[self.pos..open];
            if trim_start {
                text = text.trim_start_matches(is_space);
            }
            if trim_end {
                text = text.trim_end_matches(is_space);
            }
            let start = std::mem::replace(&mut self.pos, open);
            if !text.is_empty() {
                self.push(Kind::Text(text.to_string()), start, false);
            }
            if open == self.src.len() {
                return Ok(());
            }
            // Past `{{`, and past `-` and its one (ASCII) space when it is a trim marker.
            self.pos = open + if trim_end { 4 } else { 2 };
            if self.rest().starts_with("/*") {
                self.pos += self.rest().find("*/").ok_or("unclosed comment")? + 2;
                trim_start = self
                    .close()
                    .ok_or("comment ends before closing delimiter")?;
            } else {
                self.push(Kind::Open, open, false);
                trim_start = self.action()?;
            }
        }
    }

    /// Consumes `}}` or ` -}}`; `Some(true)` means the text after it is to be trimmed.
    fn close(&mut self) -> Option<bool> {
        let rest = self.rest();
        let trim = rest.starts_with(is_space) && rest[1..].starts_with("-}}");
        if !trim && !rest.starts_with("}}") {
            return None;
        }
        self.pos += if trim { 4 } else { 2 };
        Some(trim)
    }

    /// The tokens of one action, up to and including `}}`; returns whether it was ` -}}`.
    fn action(&mut self) -> Result<bool, String> {
        let mut spaced = false;
        loop {
            let start = self.pos;
            if let Some(trim) = self.close() {
                self.push(Kind::Close, start, spaced);
                return Ok(trim);
            }
            let c = self.rest().chars().next().ok_or("unclosed action")?;
            if is_space(c) {
                self.pos += 1;
                spaced = true;
                continue;
            }
            let kind = self.token(c)?;
            self.push(kind, start, spaced);
            spaced = false;
        }
    }

    fn token(&mut self, c: char) -> Result<Kind, String> {
        let rest = self.rest();
        let word = |s: &str| s.find(|c: char| !(c.is_alphanumeric() || c == '_'));
        let n = c.len_utf8();
        let word_end = n + word(&rest[n..]).unwrap_or(rest.len() - n);
        let (len, kind) = match c {
            '|' | '(' | ')' | ',' => (1, Kind::Sym(c)),
            ':' if rest.starts_with(":=") => (2, Kind::Sym('=')),
            '"' | '`' => return self.string(c),
            '.' if word_end == 1 => (1, Kind::Dot),
            '.' => (word_end, Kind::Field(rest[1..word_end].to_string())),
            '$' => (word_end, Kind::Var(rest[..word_end].to_string())),
            '0'..='9' | '-' | '+' => {
                let end = rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'));
                let text = &rest[..1 + end.unwrap_or(rest.len() - 1)];
                match (text.parse::<i64>(), text.parse::<f64>()) {
                    (Ok(i), _) => (text.len(), Kind::Lit(i.into())),
                    (_, Ok(f)) if f.is_finite() => (text.len(), Kind::Lit(f.into())),
                    _ => return Err(format!("bad number syntax: {text:?}")),
                }
            }
            c if c.is_alphabetic() || c == '_' => (word_end, Kind::Ident(rest[..word_end].into())),
            _ => {
                return Err(format!(
                    "unrecognized character in action: U+{:04X} {c:?}",
                    c as u32
                ))
            }
        };
        self.pos += len;
        Ok(kind)
    }

    /// A `"…"` literal with Go's escapes, or a `` `…` `` raw literal.
    fn string(&mut self, quote: char) -> Result<Kind, String> {
        let body = &self.rest()[1..];
        let mut chars = body.chars();
        let mut out = String::new();
        loop {
            match chars.next() {
                Some(c) if c == quote => break,
                Some('\\') if quote == '"' => {
                    out.push(unescape(&mut chars).ok_or("invalid syntax")?)
                }
                Some('\n') if quote == '"' => return Err("unterminated quoted string".into()),
                None if quote == '"' => return Err("unterminated quoted string".into()),
                None => return Err("unterminated raw quoted string".into()),
                Some(c) => out.push(c),
            }
        }
        self.pos += 1 + body.len() - chars.as_str().len();
        Ok(Kind::Lit(Value::String(out)))
    }
}

/// The character after a backslash, as Go's `strconv.Unquote` reads it (no octal, and `\x`
/// only below 0x80: our strings hold characters, not bytes).
fn unescape(chars: &mut std::str::Chars) -> Option<char> {
    let c = chars.next()?;
    if let Some(i) = "ntr\\\"abfv".find(c) {
        return "\n\t\r\\\"\x07\x08\x0c\x0b".chars().nth(i);
    }
    let digits = [('x', 2), ('u', 4), ('U', 8)]
        .iter()
        .find(|(k, _)| *k == c)?
        .1;
    let hex: String = chars.take(digits).collect();
    let code = u32::from_str_radix(&hex, 16).ok();
    char::from_u32(code.filter(|&v| hex.len() == digits && (c != 'x' || v < 0x80))?)
}

// ---- Parser -------------------------------------------------------------------------------

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipe),
    Control(Control, Block),
}

/// `{{if|with|range PIPE}} body {{else}} otherwise {{end}}`.
#[derive(Debug)]
struct Block {
    pipe: Pipe,
    body: Vec<Node>,
    otherwise: Vec<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Control {
    If,
    With,
    Range,
}

/// `$x := cmd | cmd …`: each command's result becomes the last argument of the next. Spans
/// are byte ranges of the source, quoted in execution errors.
#[derive(Debug)]
struct Pipe {
    span: Range<usize>,
    decls: Vec<String>,
    cmds: Vec<Command>,
}

/// A function with its arguments, or a single value.
#[derive(Debug)]
struct Command {
    span: Range<usize>,
    args: Vec<Operand>,
}

/// A term followed by field lookups: `.A.B` (fields of dot), `$m.Source`, `(…).X`.
#[derive(Debug)]
struct Operand {
    span: Range<usize>,
    term: Term,
    fields: Vec<String>,
}

#[derive(Debug)]
enum Term {
    Dot,
    Var(String),
    Func(String),
    Lit(Value),
    Pipe(Box<Pipe>),
}

/// What ended a list of nodes.
enum Stop {
    Eof,
    End,
    Else,
    ElseIf,
}

const PAREN: &str = "parenthesized pipeline";
const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];
/// Docker's template functions plus the Go built-ins `--format` users reach for.
const FUNCTIONS: &[&str] = &[
    "eq", "index", "join", "json", "len", "lower", "ne", "not", "print", "printf", "println",
    "split", "title", "upper",
];

/// The parser: builds the tree of text, actions (a pipeline whose value is printed) and the
/// `if`, `with` and `range` controls, by recursive descent over the tokens. It checks what Go
/// checks before running anything: functions exist, variables are declared, every `{{end}}`
/// and `{{else}}` belongs to an opener.
struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    // The lexer ends the list with Eof or Error, and `advance` never moves past that token,
    // so `next` and `last` are always valid indices.
    next: usize,
    last: usize,
    /// Variables in scope; those declared inside a control end with its `{{end}}`.
    vars: Vec<String>,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.next]
    }

    fn advance(&mut self) -> Result<Token, TemplateError> {
        self.last = self.next;
        let tok = self.toks[self.next].clone();
        if let Kind::Error(msg) = &tok.kind {
            return Err(self.err(msg));
        }
        self.next = (self.next + 1).min(self.toks.len() - 1);
        Ok(tok)
    }

    /// Like Go's, a parse error names the line of the token read last.
    fn err(&self, msg: &str) -> TemplateError {
        let (line, _) = line_col(self.src, self.toks[self.last].pos);
        TemplateError(format!("template parsing error: template: :{line}: {msg}"))
    }

    fn unexpected(&self, tok: &Token, context: &str) -> TemplateError {
        let what = match &tok.kind {
            Kind::Eof => "EOF".to_string(),
            Kind::Ident(w) if KEYWORDS.contains(&w.as_str()) => format!("<{w}>"),
            _ => format!("{:?}", self.src[tok.pos..tok.end].trim_matches(is_space)),
        };
        self.err(&format!("unexpected {what} in {context}"))
    }

    fn list(&mut self) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        loop {
            let tok = self.advance()?;
            match tok.kind {
                Kind::Text(text) => nodes.push(Node::Text(text)),
                Kind::Open => match self.action()? {
                    Ok(node) => nodes.push(node),
                    Err(stop) => return Ok((nodes, stop)),
                },
                Kind::Eof => return Ok((nodes, Stop::Eof)),
                _ => return Err(self.unexpected(&tok, "input")),
            }
        }
    }

    /// After `{{`: a node, or the `{{end}}`/`{{else}}` that ends the enclosing list.
    fn action(&mut self) -> Result<Result<Node, Stop>, TemplateError> {
        let word = match &self.peek().kind {
            Kind::Ident(w) => w.clone(),
            _ => String::new(),
        };
        let kind = match word.as_str() {
            "if" => Control::If,
            "with" => Control::With,
            "range" => Control::Range,
            "end" | "else" => {
                self.advance()?;
                if word == "else" && matches!(&self.peek().kind, Kind::Ident(w) if w == "if") {
                    self.advance()?;
                    return Ok(Err(Stop::ElseIf));
                }
                let close = self.advance()?;
                if close.kind != Kind::Close {
                    return Err(self.unexpected(&close, &word));
                }
                return Ok(Err(if word == "end" { Stop::End } else { Stop::Else }));
            }
            _ => return Ok(Ok(Node::Action(self.pipeline("command")?))),
        };
        self.advance()?;
        self.control(kind).map(Ok)
    }

    fn control(&mut self, kind: Control) -> Result<Node, TemplateError> {
        let mark = self.vars.len();
        let pipe = self.pipeline(["if", "with", "range"][kind as usize])?;
        let (body, stop) = self.list()?;
        let otherwise = match stop {
            Stop::End => Vec::new(),
            // `{{else if b}}…{{end}}` is `{{else}}{{if b}}…{{end}}{{end}}` with one `{{end}}`.
            Stop::ElseIf if kind == Control::If => vec![self.control(Control::If)?],
            Stop::ElseIf => return Err(self.err("unexpected <if> in input")),
            Stop::Else => match self.list()? {
                (nodes, Stop::End) => nodes,
                (_, Stop::Eof) => return Err(self.err("unexpected EOF")),
                _ => return Err(self.err("expected end; found {{else}}")),
            },
            Stop::Eof => return Err(self.err("unexpected EOF")),
        };
        self.vars.truncate(mark);
        Ok(Node::Control(
            kind,
            Block {
                pipe,
                body,
                otherwise,
            },
        ))
    }

    /// Reads up to `}}` (consumed) or, in parentheses, up to `)` (left for the caller).
    fn pipeline(&mut self, context: &str) -> Result<Pipe, TemplateError> {
        let start = self.peek().pos;
        let decls = self.declarations(context)?;
        let mut cmds = Vec::new();
        loop {
            let tok = self.peek().clone();
            match tok.kind {
                Kind::Close if context != PAREN => break,
                Kind::Sym(')') if context == PAREN => break,
                ref kind if starts_operand(kind) => cmds.push(self.command()?),
                _ => {
                    self.advance()?;
                    return Err(self.unexpected(&tok, context));
                }
            }
        }
        if context != PAREN {
            self.advance()?;
        }
        let Some(last) = cmds.last() else {
            return Err(self.err(&format!("missing value for {context}")));
        };
        let span = start..last.span.end;
        let literal = |op: &Operand| match op.term {
            Term::Lit(_) => true,
            Term::Dot => op.fields.is_empty(),
            _ => false,
        };
        if let Some(i) = cmds.iter().skip(1).position(|cmd| literal(&cmd.args[0])) {
            return Err(self.err(&format!(
                "non executable command in pipeline stage {}",
                i + 2
            )));
        }
        Ok(Pipe { span, decls, cmds })
    }

    /// `$x :=`, or in a range also `$i, $x :=`.
    fn declarations(&mut self, context: &str) -> Result<Vec<String>, TemplateError> {
        let after = self.toks.get(self.next + 1).map(|t| &t.kind);
        if !matches!(
            (&self.peek().kind, after),
            (Kind::Var(_), Some(Kind::Sym('=' | ',')))
        ) {
            return Ok(Vec::new());
        }
        let mut decls = Vec::new();
        loop {
            let tok = self.advance()?;
            let Kind::Var(name) = tok.kind else {
                return Err(self.unexpected(&tok, context));
            };
            decls.push(name);
            let sep = self.advance()?;
            match sep.kind {
                Kind::Sym('=') => break,
                Kind::Sym(',') if context == "range" && decls.len() == 1 => {}
                Kind::Sym(',') => {
                    return Err(self.err(&format!("too many declarations in {context}")))
                }
                _ => return Err(self.unexpected(&sep, context)),
            }
        }
        self.vars.extend(decls.iter().cloned());
        Ok(decls)
    }

    fn command(&mut self) -> Result<Command, TemplateError> {
        let start = self.peek().pos;
        let mut args = vec![self.operand()?];
        loop {
            let tok = self.peek().clone();
            match tok.kind {
                Kind::Close | Kind::Sym(')' | '|') => break,
                ref kind if tok.spaced && starts_operand(kind) => args.push(self.operand()?),
                _ => {
                    self.advance()?;
                    return Err(self.unexpected(&tok, "operand"));
                }
            }
        }
        let span = start..self.toks[self.last].end;
        if self.peek().kind == Kind::Sym('|') {
            self.advance()?;
        }
        Ok(Command { span, args })
    }

    fn operand(&mut self) -> Result<Operand, TemplateError> {
        let tok = self.advance()?;
        let (term, mut fields) = match tok.kind.clone() {
            Kind::Dot => (Term::Dot, vec![]),
            Kind::Field(name) => (Term::Dot, vec![name]),
            Kind::Var(name) if self.vars.contains(&name) => (Term::Var(name), vec![]),
            Kind::Var(name) => return Err(self.err(&format!("undefined variable {name:?}"))),
            Kind::Lit(value) => (Term::Lit(value), vec![]),
            Kind::Ident(w) if w == "true" || w == "false" => {
                (Term::Lit((w == "true").into()), vec![])
            }
            Kind::Ident(w) if w == "nil" => (Term::Lit(Value::Null), vec![]),
            Kind::Ident(w) if FUNCTIONS.contains(&w.as_str()) => (Term::Func(w), vec![]),
            Kind::Ident(w) if !KEYWORDS.contains(&w.as_str()) => {
                return Err(self.err(&format!("function {w:?} not defined")))
            }
            Kind::Sym('(') => {
                let pipe = self.pipeline(PAREN)?;
                self.advance()?; // the `)` that ended the pipeline
                (Term::Pipe(Box::new(pipe)), vec![])
            }
            _ => return Err(self.unexpected(&tok, "operand")),
        };
        // A field glued to the term (no space between) continues the chain.
        let chainable = matches!(term, Term::Var(_) | Term::Pipe(_)) || !fields.is_empty();
        while let (Kind::Field(name), false) = (&self.peek().kind, self.peek().spaced) {
            fields.push(name.clone());
            self.advance()?;
            if !chainable {
                let term = &self.src[tok.pos..tok.end];
                return Err(self.err(&format!("unexpected . after term {term:?}")));
            }
        }
        let span = tok.pos..self.toks[self.last].end;
        Ok(Operand { span, term, fields })
    }
}

fn starts_operand(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Dot | Kind::Field(_) | Kind::Var(_) | Kind::Ident(_) | Kind::Lit(_)
    ) || *kind == Kind::Sym('(')
}

// ---- Evaluator ----------------------------------------------------------------------------

/// A value during evaluation. `None` is Go's "no value", what a missing map key gives: it
/// prints as `<no value>`, its fields are "no value" again, and functions receive it as null.
type Val = Option<Value>;

/// The evaluator: walks the tree with "dot" set to the current JSON value, keeping the
/// variables in scope (`$` is the root) on a stack.
struct Exec<'t> {
    src: &'t str,
    vars: Vec<(String, Val)>,
}

impl Exec<'_> {
    fn error(&self, span: &Range<usize>, msg: &str) -> TemplateError {
        let (line, col) = line_col(self.src, span.start);
        let node = self.src.get(span.clone()).unwrap_or_default();
        let at = format!(":{line}:{col}: executing \"\" at <{node}>");
        TemplateError(format!("template: {at}: {msg}"))
    }

    fn walk(&mut self, nodes: &[Node], dot: &Value, out: &mut String) -> Result<(), TemplateError> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Action(pipe) => {
                    let value = self.pipe(pipe, dot)?;
                    match pipe.decls.first() {
                        Some(name) => self.vars.push((name.clone(), value)),
                        None => out.push_str(&value.map_or("<no value>".into(), |v| go_string(&v))),
                    }
                }
                Node::Control(Control::Range, block) => self.range(block, dot, out)?,
                Node::Control(kind, block) => {
                    let mark = self.vars.len();
                    let value = self.pipe(&block.pipe, dot)?;
                    if let Some(name) = block.pipe.decls.first() {
                        self.vars.push((name.clone(), value.clone()));
                    }
                    match value {
                        Some(v) if truth(&v) && *kind == Control::With => {
                            self.walk(&block.body, &v, out)?
                        }
                        Some(v) if truth(&v) => self.walk(&block.body, dot, out)?,
                        _ => self.walk(&block.otherwise, dot, out)?,
                    }
                    self.vars.truncate(mark);
                }
            }
        }
        Ok(())
    }

    fn range(&mut self, block: &Block, dot: &Value, out: &mut String) -> Result<(), TemplateError> {
        let items: Vec<(Value, Value)> = match self.pipe(&block.pipe, dot)? {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => (0..items.len()).map(Value::from).zip(items).collect(),
            // Go ranges over a map in key order.
            Some(Value::Object(map)) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.into_iter().map(|(k, v)| (k.into(), v)).collect()
            }
            Some(other) => {
                let msg = format!("range can't iterate over {}", go_string(&other));
                return Err(self.error(&block.pipe.span, &msg));
            }
        };
        if items.is_empty() {
            return self.walk(&block.otherwise, dot, out);
        }
        let mark = self.vars.len();
        for (key, item) in items {
            // One variable gets the element; two get the index (or key) and the element.
            match block.pipe.decls.as_slice() {
                [elem] => self.vars.push((elem.clone(), Some(item.clone()))),
                [index, elem] => {
                    self.vars.push((index.clone(), Some(key)));
                    self.vars.push((elem.clone(), Some(item.clone())));
                }
                _ => {}
            }
            self.walk(&block.body, &item, out)?;
            self.vars.truncate(mark);
        }
        Ok(())
    }

    fn pipe(&self, pipe: &Pipe, dot: &Value) -> Result<Val, TemplateError> {
        let mut result = None;
        for cmd in &pipe.cmds {
            result = Some(self.command(cmd, dot, result)?);
        }
        Ok(result.flatten())
    }

    /// `piped` is the previous command's result when this is not the first command.
    fn command(
        &self,
        cmd: &Command,
        dot: &Value,
        piped: Option<Val>,
    ) -> Result<Val, TemplateError> {
        // The parser never builds a command without arguments.
        let first = &cmd.args[0];
        match &first.term {
            Term::Func(name) => {
                let mut args = Vec::with_capacity(cmd.args.len());
                for arg in &cmd.args[1..] {
                    args.push(self.operand(arg, dot)?.unwrap_or(Value::Null));
                }
                args.extend(piped.map(|v| v.unwrap_or(Value::Null)));
                call(name, args)
                    .map(Some)
                    .map_err(|msg| self.error(&cmd.span, &msg))
            }
            _ if cmd.args.len() > 1 || piped.is_some() => {
                let name = self.src.get(first.span.clone()).unwrap_or_default();
                let msg = format!("can't give argument to non-function {name}");
                Err(self.error(&first.span, &msg))
            }
            _ => self.operand(first, dot),
        }
    }

    fn operand(&self, op: &Operand, dot: &Value) -> Result<Val, TemplateError> {
        let owned = match &op.term {
            Term::Dot | Term::Var(_) => None,
            Term::Lit(value) => Some(value.clone()),
            Term::Func(name) => Some(call(name, Vec::new()).map_err(|e| self.error(&op.span, &e))?),
            Term::Pipe(pipe) => self.pipe(pipe, dot)?,
        };
        let mut current = match &op.term {
            Term::Dot => Some(dot),
            Term::Var(name) => {
                let mut scope = self.vars.iter().rev();
                scope.find(|(n, _)| n == name).and_then(|(_, v)| v.as_ref())
            }
            _ => owned.as_ref(),
        };
        for name in &op.fields {
            current = match current {
                None => None,
                Some(Value::Object(map)) => map.get(name),
                Some(Value::Null) => {
                    let msg = format!("nil pointer evaluating interface {{}}.{name}");
                    return Err(self.error(&op.span, &msg));
                }
                Some(other) => {
                    let msg = format!("can't evaluate field {name} in type {}", go_type(other));
                    return Err(self.error(&op.span, &msg));
                }
            };
        }
        Ok(current.cloned())
    }
}

/// Go's truth: false, 0, "", null and empty arrays and objects are false.
fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// Runs a template function; an error is the message part of Go's execution error.
fn call(name: &str, args: Vec<Value>) -> Result<Value, String> {
    let (want, variadic) = match name {
        "print" | "println" => (0, true),
        "index" | "printf" => (1, true),
        "eq" => (2, true),
        "join" | "split" | "ne" => (2, false),
        _ => (1, false),
    };
    if args.len() != want && !(variadic && args.len() > want) {
        let least = if variadic { "at least " } else { "" };
        return Err(format!(
            "wrong number of args for {name}: want {least}{want} got {}",
            args.len()
        ));
    }
    let string = |s: String| Ok(Value::String(s));
    match name {
        // docker's json: compact, no HTML escaping, no trailing newline.
        "json" => string(serde_json::to_string(&args[0]).map_err(|e| e.to_string())?),
        "upper" => string(str_arg(&args[0])?.to_uppercase()),
        "lower" => string(str_arg(&args[0])?.to_lowercase()),
        "title" => string(title(str_arg(&args[0])?)),
        "print" => string(sprint(&args)),
        "println" => string(args.iter().map(go_string).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => string(sprintf(str_arg(&args[0])?, &args[1..])),
        "join" => {
            let Value::Array(items) = &args[0] else {
                return Err(wrong_type("[]string", &args[0]));
            };
            let parts = items.iter().map(str_arg).collect::<Result<Vec<_>, _>>()?;
            string(parts.join(str_arg(&args[1])?))
        }
        // Go's strings.Split: an empty separator splits into characters.
        "split" => {
            let (s, sep) = (str_arg(&args[0])?, str_arg(&args[1])?);
            let parts: Vec<&str> = match sep {
                "" => s.matches(|_| true).collect(),
                _ => s.split(sep).collect(),
            };
            Ok(parts.into())
        }
        "len" => match &args[0] {
            Value::String(s) => Ok(s.len().into()),
            Value::Array(a) => Ok(a.len().into()),
            Value::Object(m) => Ok(m.len().into()),
            Value::Null => Err("error calling len: len of nil pointer".into()),
            other => Err(format!("error calling len: len of type {}", go_type(other))),
        },
        "index" => index(args),
        "not" => Ok((!truth(&args[0])).into()),
        // eq and ne; Go's eq is true when the first argument equals any of the others.
        _ => {
            let mut found = false;
            for other in &args[1..] {
                found |=
                    equal(&args[0], other).map_err(|e| format!("error calling {name}: {e}"))?;
            }
            Ok((found == (name == "eq")).into())
        }
    }
}

fn str_arg(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| wrong_type("string", v))
}

fn wrong_type(expected: &str, got: &Value) -> String {
    let got = go_type(got);
    format!("wrong type for value; expected {expected}; got {got}")
}

/// The Go type a value would have in docker's raw-JSON fallback.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// `index x k1 k2 …` is `x[k1][k2]…`. A missing key gives the map's zero value, as in Go;
/// JSON has no element types, so we take `""` when every value is a string (docker's
/// `map[string]string` labels print empty) and null otherwise.
fn index(args: Vec<Value>) -> Result<Value, String> {
    let mut args = args.into_iter();
    let mut item = args.next().unwrap_or(Value::Null);
    for key in args {
        item = match (item, &key) {
            (Value::Object(map), Value::String(k)) => match map.get(k) {
                Some(v) => v.clone(),
                None if map.values().all(Value::is_string) => Value::String(String::new()),
                None => Value::Null,
            },
            (Value::Array(mut list), Value::Number(n)) => {
                let at = n.as_u64().and_then(|i| usize::try_from(i).ok());
                match at.filter(|&i| i < list.len()) {
                    Some(i) => list.swap_remove(i),
                    None => return Err(format!("error calling index: index out of range: {n}")),
                }
            }
            (Value::Null, _) => return Err("error calling index: index of untyped nil".into()),
            (other, _) => {
                let (t, k) = (go_type(&other), go_string(&key));
                return Err(format!("error calling index: can't index {t} with {k}"));
            }
        };
    }
    Ok(item)
}

/// Go's `strings.Title` (docker's `title`): upper-case the first letter of every word; words
/// start after whitespace and ASCII punctuation.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word_start = true;
    for c in s.chars() {
        if word_start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        word_start = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        };
    }
    out
}

/// Go's `eq` on JSON values: scalars of the same kind by value; null equals only null.
fn equal(a: &Value, b: &Value) -> Result<bool, &'static str> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => Ok(a == b),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
            Err("non-comparable type")
        }
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => Ok(a == b),
        _ => Err("incompatible types for comparison"),
    }
}

/// Go's `fmt.Sprint`: a space between two operands when neither is a string.
fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !arg.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        out.push_str(&go_string(arg));
    }
    out
}

/// Go's `fmt.Sprintf` for `%v %s %d %q %t %%` with an optional `-` and width (`%-20s`). Like
/// Go, mistakes print inline markers such as `%!d(string=x)` instead of failing.
fn sprintf(format: &str, args: &[Value]) -> String {
    let (mut out, mut args, mut chars) = (String::new(), args.iter(), format.chars().peekable());
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let left = chars.next_if_eq(&'-').is_some();
        let mut width = 0;
        while let Some(digit) = chars.next_if(char::is_ascii_digit) {
            width = width * 10 + (digit as usize - '0' as usize);
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let text = match (verb, args.next()) {
            (_, None) => format!("%!{verb}(MISSING)"),
            ('v', Some(arg)) => go_string(arg),
            ('s', Some(arg)) if !matches!(arg, Value::Number(_) | Value::Bool(_)) => go_string(arg),
            ('d', Some(Value::Number(n))) if !n.is_f64() => n.to_string(),
            ('q', Some(Value::String(s))) => format!("{s:?}"),
            ('t', Some(Value::Bool(b))) => b.to_string(),
            (_, Some(arg)) => format!("%!{verb}({}={})", go_type(arg), go_string(arg)),
        };
        let pad = " ".repeat(width.saturating_sub(text.chars().count()));
        let (first, second) = if left { (text, pad) } else { (pad, text) };
        out.push_str(&first);
        out.push_str(&second);
    }
    let extra: Vec<String> = args
        .map(|a| format!("{}={}", go_type(a), go_string(a)))
        .collect();
    if !extra.is_empty() {
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    out
}

/// A value as Go's `fmt` prints it with `%v`.
fn go_string(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Number(n) if n.is_f64() => go_float(n.as_f64().unwrap_or_default()),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_string).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_string(v)))
                .collect();
            format!("map[{}]", entries.join(" "))
        }
        other => other.to_string(),
    }
}

/// `%v` of a float64: shortest digits, exponent form (`1e+21`, `1e-05`) outside 1e-4..1e21.
fn go_float(f: f64) -> String {
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..21).contains(&exp) {
        format!("{f}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Go's error positions: the line (from 1) and the byte offset within that line (from 0).
fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = src.get(..pos).unwrap_or(src);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (1 + before.matches('\n').count(), before.len() - line_start)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A trimmed-down `docker inspect` of a running nginx container.
    fn container() -> Value {
        json!({
            "Id": "4f66ad9a0b2e5c1d8e7f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5",
            "Args": ["-g", "daemon off;"],
            "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0},
            "Name": "/web",
            "Mounts": [
                {"Type": "bind", "Source": "/srv/www", "Destination": "/usr/share/nginx/html"},
                {"Type": "volume", "Source": "/var/lib/v/data", "Destination": "/data"}
            ],
            "Config": {
                "Env": ["PATH=/usr/bin", "NGINX_VERSION=1.25.4"],
                "Labels": {"foo": "bar", "a.b": "dotted"},
                "Healthcheck": null
            },
            "NetworkSettings": {
                "IPAddress": "172.17.0.2",
                "Networks": {"bridge": {"IPAddress": "172.17.0.2", "Gateway": "172.17.0.1"}}
            }
        })
    }

    /// Parses and renders each template on `data`; an error's text stands in for the output.
    fn check(data: &Value, cases: &[(&str, &str)]) {
        for (text, want) in cases {
            let got = Template::parse(text).and_then(|t| t.render(data));
            assert_eq!(got.unwrap_or_else(|e| e.0), *want, "template {text:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn fields_json_and_index() {
        check(&container(), &[
            ("{{.State.Status}} {{.State.Pid}} {{.Name}}", "running 4242 /web"),
            ("{{.NetworkSettings.IPAddress}} {{.Config.Labels.foo}}", "172.17.0.2 bar"),
            ("{{.Nope}}|{{.State.Nope.Deeper}}", "<no value>|<no value>"),
            ("{{json .Config.Env}}", r#"["PATH=/usr/bin","NGINX_VERSION=1.25.4"]"#),
            ("{{json .State}}", r#"{"Status":"running","Running":true,"Pid":4242,"ExitCode":0}"#),
            (r#"{{json .Nope}} {{json "a<b"}}"#, r#"null "a<b""#),
            (r#"{{index .Config.Labels "a.b"}}[{{index .Config.Labels "x"}}]"#, "dotted[]"),
            (r#"{{index .NetworkSettings.Networks "bridge"}}"#,
                "map[Gateway:172.17.0.1 IPAddress:172.17.0.2]"),
            (r#"{{index .NetworkSettings.Networks "host"}}"#, "<nil>"),
            (r#"{{(index .NetworkSettings.Networks "bridge").Gateway}}"#, "172.17.0.1"),
            (r#"{{index .Args 1}} {{index .Mounts 1 "Destination"}}"#, "daemon off; /data"),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn functions_pipelines_and_literals() {
        check(&container(), &[
            (r#"{{join .Args ","}} {{upper .Name}} {{lower "A"}}"#, "-g,daemon off; /WEB a"),
            (r#"{{title "hello wide-world"}} {{split "a:b::c" ":"}}"#, "Hello Wide-World [a b  c]"),
            (r#"{{len (split .Name "")}} {{len .Mounts}} {{len .Config.Labels}}"#, "4 2 2"),
            (r#"{{print "a" 1 2 "b"}}|{{println .State.Pid "x"}}|"#, "a1 2b|4242 x\n|"),
            (r#"{{printf "%s: %d %v %q" .Name .State.Pid .Args "up"}}"#,
                r#"/web: 4242 [-g daemon off;] "up""#),
            (r#"[{{printf "%-4s|%3d" "ab" 7}}] {{printf "%d %d" "x"}}"#,
                "[ab  |  7] %!d(string=x) %!d(MISSING)"),
            (r#"{{printf "%%" 1}}"#, "%%!(EXTRA int=1)"),
            ("{{.Name | upper}}", "/WEB"),
            (r#"{{.State.Status | printf "%s!" | upper}}"#, "RUNNING!"),
            (r#"{{index (split .Name "/") 1}}"#, "web"),
            (r#"{{"tab\there \u00e9 \"q\""}} {{`raw\n`}}"#, "tab\there é \"q\" raw\\n"),
            ("{{42}} {{-7}} {{1.5}} {{true}} {{nil}}", "42 -7 1.5 true <nil>"),
            (r#"{{if eq .State.Status "exited" "running"}}up{{end}} {{not .Name}}"#, "up false"),
            (r#"{{if ne .State.Pid 0}}ok{{end}} {{eq .Config.Healthcheck nil}}"#, "ok true"),
        ]);
    }

    #[test]
    #[rustfmt::skip]
    fn trim_markers_comments_and_control() {
        check(&container(), &[
            ("a  {{- .Name -}}  \n b", "a/webb"),
            ("{{range .Args -}}\n  [{{.}}]\n{{- end}}", "[-g][daemon off;]"),
            ("a{{/* a comment */}}b {{- /* trimmed */ -}} c", "abc"),
            ("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
                "/srv/www:/usr/share/nginx/html /var/lib/v/data:/data "),
            ("{{range $i, $m := .Mounts}}{{$i}}={{$m.Type}}@{{$.Name}} {{end}}",
                "0=bind@/web 1=volume@/web "),
            ("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a.b=dotted;foo=bar;"),
            ("{{range $e := .Config.Env}}<{{$e}}>{{end}}", "<PATH=/usr/bin><NGINX_VERSION=1.25.4>"),
            ("{{range .X}}x{{else}}-{{end}} {{range .Config.Healthcheck}}x{{else}}-{{end}}", "- -"),
            ("{{with .NetworkSettings}}{{.IPAddress}}{{end}} {{with .X}}x{{else}}-{{end}}",
                "172.17.0.2 -"),
            ("{{$n := .Name}}{{with .State}}{{$n}} {{.Status}}{{end}}", "/web running"),
        ]);
    }

    #[test]
    fn parse_once_render_many() {
        let t = Template::parse("{{.Name}}:{{.State.Status}}").unwrap();
        assert_eq!(t.render(&container()).unwrap(), "/web:running");
        let other = json!({"Name": "/db", "State": {"Status": "exited"}});
        assert_eq!(t.render(&other).unwrap(), "/db:exited");
    }

    #[test]
    #[rustfmt::skip]
    fn values_print_like_go_fmt() {
        let data = json!({"s": "x", "i": -3, "f": 1.5, "big": 1e21, "tiny": 0.00001, "two": 2.0,
            "t": true, "n": null, "a": ["a", 1, null], "m": {"z": 1, "a.b": 2, "a": [true]}});
        check(&data, &[
            ("{{.s}} {{.i}} {{.f}} {{.big}} {{.tiny}} {{.two}}", "x -3 1.5 1e+21 1e-05 2"),
            ("{{.t}} {{.n}} {{.a}} {{.m}}", "true <nil> [a 1 <nil>] map[a:[true] a.b:2 z:1]"),
        ]);
    }

    #[test]
    fn if_else_if_else_uses_go_truth() {
        let t = Template::parse("{{if .A}}A{{else if .B}}B{{else}}none{{end}}").unwrap();
        let cases = [
            (json!({"A": 1}), "A"),
            (json!({"A": [0]}), "A"),
            (json!({"A": 0, "B": "x"}), "B"),
            (json!({"A": false, "B": {"k": 1}}), "B"),
            (json!({"A": "", "B": []}), "none"),
            (json!({"A": {}, "B": null}), "none"),
        ];
        for (data, want) in cases {
            assert_eq!(t.render(&data).unwrap(), want, "{data}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn execution_errors_point_at_the_node() {
        let cases = [
            ("{{.Name.Foo}}", ":1:2", ".Name.Foo", "can't evaluate field Foo in type string"),
            ("\n  {{.Config.Healthcheck.X}}", ":2:4", ".Config.Healthcheck.X",
                "nil pointer evaluating interface {}.X"),
            ("{{.Name 1}}", ":1:2", ".Name", "can't give argument to non-function .Name"),
            ("{{range .Name}}{{end}}", ":1:8", ".Name", "range can't iterate over /web"),
            ("{{index .Args 5}}", ":1:2", "index .Args 5",
                "error calling index: index out of range: 5"),
            ("{{upper .State.Pid}}", ":1:2", "upper .State.Pid",
                "wrong type for value; expected string; got int"),
            ("{{join .Args}}", ":1:2", "join .Args", "wrong number of args for join: want 2 got 1"),
            ("{{eq .Name 1}}", ":1:2", "eq .Name 1",
                "error calling eq: incompatible types for comparison"),
        ];
        for (text, pos, node, msg) in cases {
            let err = Template::parse(text).unwrap().render(&container()).unwrap_err().0;
            assert_eq!(err, format!("template: {pos}: executing \"\" at <{node}>: {msg}"));
        }
    }

    #[test]
    #[rustfmt::skip]
    fn parse_errors_name_the_line_and_the_problem() {
        let cases = [
            ("{{.Name", ":1: unclosed action"),
            ("{{foo .Name}}", r#":1: function "foo" not defined"#),
            ("a\n{{end}}", ":2: unexpected {{end}}"),
            ("{{.A}} {{else}}", ":1: unexpected {{else}}"),
            (r#"{{"abc}}"#, ":1: unterminated quoted string"),
            ("{{`abc}}", ":1: unterminated raw quoted string"),
            (r#"{{"\q"}}"#, ":1: invalid syntax"),
            ("{{if .A}}\nx", ":2: unexpected EOF"),
            ("{{$x}}", r#":1: undefined variable "$x""#),
            ("{{}}", ":1: missing value for command"),
            ("{{/* open", ":1: unclosed comment"),
            ("{{.A | 3}}", ":1: non executable command in pipeline stage 2"),
            ("{{.A}\n", ":1: unrecognized character in action: U+007D '}'"),
            ("{{range .B}}{{else}}{{else}}{{end}}", ":1: expected end; found {{else}}"),
            ("{{template \"x\"}}", ":1: unexpected <template> in operand"),
        ];
        for (text, want) in cases {
            let err = Template::parse(text).unwrap_err().0;
            assert_eq!(err, format!("template parsing error: template: {want}"), "{text:?}");
        }
    }
}
