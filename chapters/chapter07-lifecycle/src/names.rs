//! Container names: the ones users choose (`--name`) and the ones the engine makes up.
//!
//! A container always has a name besides its id, because `docker stop 3f9a1c0e2b7d` is hard to
//! type and harder to remember. When the user gives none, the engine picks
//! `<adjective>_<surname>` — a mood or manner, and someone who shaped computing, operating
//! systems, networking, mathematics or science: `patient_ritchie`, `curious_hopper`. The
//! word lists here are our own; only the idea and the format come from docker.
//!
//! About 100 × 200 pairs is plenty for one host. On a collision, [`generate`] tries again with a
//! fresh pair and a random digit appended (`curious_hopper7`), a few times; when every attempt is
//! taken it gives up, and the caller names the container by its short id instead.
//!
//! [`validate`] checks a name a user typed against docker's rule.
//!
//! ## Left out on purpose
//! - No randomness source of our own: the caller passes one (a closure), which keeps this module
//!   pure and its tests deterministic.
//! - Uniqueness is not decided here: the caller answers "is this name taken?" from its state
//!   store, which also has to guard against two engines racing for the same name.

use std::fmt::Write;

/// How many names [`generate`] tries before it gives up: the bare pair, then five with a digit.
pub const ATTEMPTS: usize = 6;

/// The characters docker allows, as its error message spells them.
const ALLOWED: &str = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

/// Moods and manners: the first half of a generated name.
const ADJECTIVES: &[&str] = &[
    "affable",
    "agile",
    "amused",
    "ardent",
    "attentive",
    "bashful",
    "blithe",
    "breezy",
    "bright",
    "brisk",
    "bubbly",
    "buoyant",
    "calm",
    "candid",
    "carefree",
    "careful",
    "caring",
    "chatty",
    "cheerful",
    "chipper",
    "chirpy",
    "composed",
    "content",
    "cordial",
    "courteous",
    "cozy",
    "curious",
    "daring",
    "dapper",
    "decent",
    "devoted",
    "diligent",
    "dogged",
    "droll",
    "dutiful",
    "earnest",
    "easygoing",
    "fearless",
    "feisty",
    "fond",
    "frank",
    "frugal",
    "genial",
    "gentle",
    "giddy",
    "glad",
    "gleeful",
    "graceful",
    "grateful",
    "gutsy",
    "hearty",
    "helpful",
    "honest",
    "humble",
    "jaunty",
    "jocular",
    "joyful",
    "kindly",
    "lenient",
    "lively",
    "loyal",
    "lucky",
    "measured",
    "mellow",
    "merry",
    "methodical",
    "meticulous",
    "mindful",
    "mirthful",
    "nimble",
    "noble",
    "obliging",
    "orderly",
    "patient",
    "peppy",
    "perky",
    "placid",
    "playful",
    "pleasant",
    "plucky",
    "poised",
    "polite",
    "precise",
    "prompt",
    "proud",
    "prudent",
    "punctual",
    "puzzled",
    "quiet",
    "radiant",
    "rational",
    "reliable",
    "resolute",
    "restless",
    "sensible",
    "sincere",
    "snappy",
    "sober",
    "spirited",
    "spry",
    "steady",
    "studious",
    "sturdy",
    "sunny",
    "swift",
    "tactful",
    "tenacious",
    "thoughtful",
    "tidy",
    "tireless",
    "tolerant",
    "tranquil",
    "upright",
    "vivid",
    "watchful",
    "whimsical",
    "wistful",
    "witty",
    "zany",
    "zesty",
];

/// People who shaped computing, operating systems, networking, mathematics or science: the
/// second half. ASCII spellings (`godel`, `erdos`), one word (`bernerslee`, `deraadt`).
const SURNAMES: &[&str] = &[
    // Unix, its relatives and its tools.
    "thompson",
    "ritchie",
    "kernighan",
    "mcilroy",
    "ossanna",
    "canaday",
    "pike",
    "cherry",
    "bourne",
    "mashey",
    "lesk",
    "weinberger",
    "plauger",
    "duff",
    "presotto",
    "winterbottom",
    "joy",
    "mckusick",
    "bostic",
    "karels",
    "leffler",
    "fabry",
    "kamp",
    "deraadt",
    "dillon",
    "bonwick",
    "cantrill",
    "bach",
    // Linux and the pieces containers are made of.
    "torvalds",
    "stallman",
    "cox",
    "tweedie",
    "tso",
    "card",
    "mason",
    "viro",
    "hellwig",
    "axboe",
    "rostedt",
    "mckenney",
    "gleixner",
    "zijlstra",
    "molnar",
    "morton",
    "kroahhartman",
    "kerrisk",
    "corbet",
    "menage",
    "biederman",
    "hallyn",
    "emelyanov",
    "lezcano",
    "graber",
    "starovoitov",
    "borkmann",
    "welte",
    "kuznetsov",
    "hemminger",
    "miller",
    "tridgell",
    "drepper",
    "russell",
    // Operating systems before and beside Unix.
    "corbato",
    "saltzer",
    "dennis",
    "daley",
    "vyssotsky",
    "hansen",
    "dijkstra",
    "habermann",
    "wulf",
    "rashid",
    "tevanian",
    "liedtke",
    "heiser",
    "kaashoek",
    "engler",
    "tanenbaum",
    "cutler",
    "lampson",
    "thacker",
    "kilburn",
    // Networking.
    "cerf",
    "kahn",
    "postel",
    "crocker",
    "baran",
    "davies",
    "kleinrock",
    "roberts",
    "heart",
    "pouzin",
    "metcalfe",
    "boggs",
    "abramson",
    "jacobson",
    "floyd",
    "clark",
    "partridge",
    "mockapetris",
    "mills",
    "stevens",
    "comer",
    "perlman",
    "bosack",
    "deering",
    "huitema",
    "zhang",
    "feinler",
    "bernerslee",
    "cailliau",
    // Languages and how programs are written.
    "hopper",
    "backus",
    "mccarthy",
    "naur",
    "bauer",
    "wirth",
    "hoare",
    "dahl",
    "nygaard",
    "iverson",
    "kemeny",
    "kurtz",
    "sammet",
    "allen",
    "liskov",
    "parnas",
    "brooks",
    "kay",
    "goldberg",
    "ingalls",
    "stroustrup",
    "gosling",
    "steele",
    "sussman",
    "abelson",
    "milner",
    "landin",
    "strachey",
    "wadler",
    "hudak",
    "armstrong",
    "virding",
    "odersky",
    "matsumoto",
    "wall",
    "hejlsberg",
    "lattner",
    "hamilton",
    // Algorithms, theory, cryptography, databases.
    "knuth",
    "lamport",
    "lynch",
    "tarjan",
    "hopcroft",
    "ullman",
    "aho",
    "karp",
    "cook",
    "levin",
    "rabin",
    "scott",
    "bentley",
    "sedgewick",
    "hartmanis",
    "stearns",
    "blum",
    "yao",
    "tardos",
    "lovasz",
    "diffie",
    "hellman",
    "merkle",
    "rivest",
    "shamir",
    "adleman",
    "goldwasser",
    "micali",
    "needham",
    "schroeder",
    "codd",
    "gray",
    "stonebraker",
    "bachman",
    "selinger",
    // Machines and the people who built and programmed them.
    "babbage",
    "lovelace",
    "hollerith",
    "zuse",
    "aiken",
    "eckert",
    "mauchly",
    "atanasoff",
    "wilkes",
    "wheeler",
    "flowers",
    "bartik",
    "holberton",
    "teitelbaum",
    "meltzer",
    "spence",
    "antonelli",
    "amdahl",
    "cray",
    "cocke",
    "patterson",
    "hennessy",
    "wilson",
    "furber",
    "noyce",
    "kilby",
    "bardeen",
    "brattain",
    "faggin",
    "hoff",
    "wozniak",
    "engelbart",
    "sutherland",
    "licklider",
    // Information, signals and learning machines.
    "shannon",
    "hamming",
    "huffman",
    "nyquist",
    "wiener",
    "kalman",
    "viterbi",
    "tukey",
    "cooley",
    "lempel",
    "ziv",
    "kahan",
    "rosenblatt",
    "mcculloch",
    "pitts",
    "newell",
    "simon",
    "minsky",
    "pearl",
    // Mathematics.
    "turing",
    "church",
    "godel",
    "hilbert",
    "neumann",
    "boole",
    "euler",
    "gauss",
    "riemann",
    "noether",
    "ramanujan",
    "hardy",
    "fermat",
    "pascal",
    "leibniz",
    "lagrange",
    "laplace",
    "fourier",
    "cauchy",
    "galois",
    "abel",
    "cantor",
    "poincare",
    "kolmogorov",
    "markov",
    "banach",
    "erdos",
    "nash",
    "conway",
    "johnson",
    "vaughan",
    "jackson",
    // The natural sciences.
    "newton",
    "kepler",
    "galileo",
    "faraday",
    "maxwell",
    "curie",
    "meitner",
    "noddack",
    "bohr",
    "dirac",
    "pauli",
    "fermi",
    "feynman",
    "planck",
    "einstein",
    "franklin",
    "mcclintock",
    "hodgkin",
    "leavitt",
    "payne",
    "rubin",
    "hubble",
    "lamarr",
];

/// Picks a free `<adjective>_<surname>` name, or `None` when every attempt was taken.
///
/// `random` supplies the randomness (any `u64`, uniformly spread, is fine; the modulo bias over
/// lists this short is far below anything anyone could notice); `taken` answers whether a name
/// is in use. The first attempt is a bare pair; each of the [`ATTEMPTS`]` - 1` retries takes a
/// fresh pair and appends a random digit, as docker does.
///
/// On `None` the caller falls back to the container's short id, which is unique by itself.
pub fn generate(random: &mut dyn FnMut() -> u64, taken: &dyn Fn(&str) -> bool) -> Option<String> {
    (0..ATTEMPTS)
        .map(|attempt| candidate(random, attempt > 0))
        .find(|name| !taken(name))
}

/// One candidate name: a random pair, with a random digit when `with_digit`.
fn candidate(random: &mut dyn FnMut() -> u64, with_digit: bool) -> String {
    let adjective = pick(ADJECTIVES, random());
    let surname = pick(SURNAMES, random());
    let mut name = format!("{adjective}_{surname}");
    if with_digit {
        // Writing into a String cannot fail.
        let _ = write!(name, "{}", random() % 10);
    }
    name
}

fn pick(words: &[&'static str], random: u64) -> &'static str {
    // Both lists are non-empty constants, so the index is always in range.
    words[(random % words.len() as u64) as usize]
}

/// Checks a user-chosen name the way docker does and returns it without its optional leading
/// `/` (docker keeps names as `/name` internally and accepts both spellings).
///
/// The rest must be `[a-zA-Z0-9][a-zA-Z0-9_.-]+`: an ASCII letter or digit, then at least one
/// more letter, digit, `_`, `.` or `-`. An empty name is an error here; whether "no name" means
/// "generate one" is the caller's decision.
pub fn validate(name: &str) -> Result<&str, String> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut bytes = bare.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok =
        bare.len() >= 2 && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if first_ok && rest_ok {
        Ok(bare)
    } else {
        Err(format!(
            "Invalid container name ({name}), only {ALLOWED} are allowed"
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A random source that returns the given numbers in turn, then keeps repeating the last.
    fn sequence(numbers: Vec<u64>) -> impl FnMut() -> u64 {
        let mut index = 0;
        move || {
            let number = numbers[index.min(numbers.len() - 1)];
            index += 1;
            number
        }
    }

    fn check_list(words: &[&str], minimum: usize) {
        assert!(
            words.len() >= minimum,
            "{} words, want {minimum}",
            words.len()
        );
        let mut seen = HashSet::new();
        for word in words {
            assert!(seen.insert(word), "duplicate word {word:?}");
            assert!(
                !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()),
                "{word:?} is not [a-z]+"
            );
        }
    }

    #[test]
    fn word_lists_are_long_unique_and_lowercase() {
        check_list(ADJECTIVES, 100);
        check_list(SURNAMES, 200);
    }

    #[test]
    fn no_word_is_both_an_adjective_and_a_surname() {
        for word in ADJECTIVES {
            assert!(!SURNAMES.contains(word), "{word:?} is in both lists");
        }
    }

    #[test]
    fn a_free_name_is_adjective_underscore_surname() {
        let mut random = sequence(vec![0, 1]);
        let name = generate(&mut random, &|_| false).unwrap();
        assert_eq!(name, format!("{}_{}", ADJECTIVES[0], SURNAMES[1]));
    }

    #[test]
    fn large_random_numbers_wrap_around_the_lists() {
        let adjectives = ADJECTIVES.len() as u64;
        let surnames = SURNAMES.len() as u64;
        let mut random = sequence(vec![adjectives * 1000 + 2, surnames * 7 + 3]);
        let name = generate(&mut random, &|_| false).unwrap();
        assert_eq!(name, format!("{}_{}", ADJECTIVES[2], SURNAMES[3]));
    }

    #[test]
    fn a_collision_retries_with_a_fresh_pair_and_a_digit() {
        let taken_name = format!("{}_{}", ADJECTIVES[0], SURNAMES[0]);
        let mut random = sequence(vec![0, 0, 4, 5, 17]);
        let name = generate(&mut random, &|name| name == taken_name).unwrap();
        assert_eq!(name, format!("{}_{}7", ADJECTIVES[4], SURNAMES[5]));
    }

    #[test]
    fn every_attempt_is_asked_about_and_then_it_gives_up() {
        let asked = std::cell::RefCell::new(Vec::new());
        let mut random = sequence(vec![3]);
        let result = generate(&mut random, &|name| {
            asked.borrow_mut().push(name.to_owned());
            true
        });
        assert_eq!(result, None);
        let asked = asked.into_inner();
        assert_eq!(asked.len(), ATTEMPTS);
        let base = format!("{}_{}", ADJECTIVES[3], SURNAMES[3]);
        assert_eq!(asked[0], base);
        for retry in &asked[1..] {
            assert_eq!(*retry, format!("{base}3"));
        }
    }

    #[test]
    fn generated_names_pass_validation() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move || {
            // xorshift64: a deterministic spread of values for the test.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..1000 {
            let name = generate(&mut random, &|_| false).unwrap();
            assert_eq!(validate(&name), Ok(name.as_str()));
        }
    }

    #[test]
    fn validation_follows_docker() {
        let good = [
            ("web", "web"),
            ("/web", "web"),
            ("ab", "ab"),
            ("a1", "a1"),
            ("9lives", "9lives"),
            ("My.App-2_x", "My.App-2_x"),
            ("a..", "a.."),
            ("x_", "x_"),
        ];
        for (name, bare) in good {
            assert_eq!(validate(name), Ok(bare), "{name:?} should be valid");
        }
        let bad = [
            "", "/", "a", "/a", "_web", ".web", "-web", "we b", "web/", "//web", "wéb", "web!",
            "web:1", "a\n",
        ];
        for name in bad {
            assert!(validate(name).is_err(), "{name:?} should be refused");
        }
    }

    #[test]
    fn the_error_reads_like_dockers() {
        assert_eq!(
            validate("/bad name").unwrap_err(),
            "Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        );
    }
}
