//! Values as a user types them on the command line, after `--set KEY=` or
//! in a sweep's `--grid KEY=...`:
//!
//! - a TOML value (`0.5`, `[8, 8]`, `"relu"`), or a bare word, taken as a
//!   string (`relu`);
//! - a list repeated, as in Python: `[64]*10` is ten layers of 64;
//!
//! and, where a list of values is wanted (a grid axis):
//!
//! - values separated by commas (`0.8,1.0,1.33`); commas inside brackets,
//!   braces, parentheses or quotes do not separate;
//! - `linspace(A, B, N)`: N evenly spaced numbers from A to B, both ends
//!   included (whole numbers if A and B are written as whole numbers and
//!   every value is whole);
//! - `sqrt(...)`: the square roots of a list of numbers, so a gain grid can
//!   be even in the weight variance gain^2: `sqrt(linspace(1, 4, 13))`;
//! - `[64]*(10,20,40)` or `[64]*linspace(5, 50, 10)`: the list repeated
//!   each of several numbers of times (networks of several depths).

/// The most copies `[...]*N` makes: more could only be a typing mistake
/// (no config key takes lists anywhere near this long).
const MAX_REPEAT: u64 = 10_000;

/// The most values one `linspace` makes.
const MAX_LINSPACE: u64 = 10_000;

/// One value of a list, with the text that stands for it in names and
/// tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedValue {
    pub text: String,
    pub value: toml::Value,
}

/// One value: TOML, a bare word (a string), `[...]*N`, or `sqrt(x)`.
pub fn parse_value(raw: &str) -> Result<toml::Value, String> {
    let raw = raw.trim();
    let generated = split_repetition(raw).is_some() || call(raw, "sqrt").is_some() || call(raw, "linspace").is_some();
    if !generated {
        return Ok(toml_or_word(raw));
    }
    let mut values = parse_item(raw)?;
    if values.len() != 1 {
        return Err(format!("`{raw}` gives {} values where one is wanted", values.len()));
    }
    Ok(values.remove(0).value)
}

/// A list of values (see the module's documentation); never empty.
pub fn parse_list(raw: &str) -> Result<Vec<ListedValue>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("gives no values; write them after `=`, separated by commas".into());
    }
    let mut values = Vec::new();
    for item in split_top_level(raw, ',')? {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!("`{raw}` has an empty value between commas"));
        }
        values.extend(parse_item(item)?);
    }
    Ok(values)
}

fn parse_item(item: &str) -> Result<Vec<ListedValue>, String> {
    if let Some(arguments) = call(item, "linspace") {
        return linspace(arguments);
    }
    if let Some(arguments) = call(item, "sqrt") {
        return parse_list(arguments)?
            .into_iter()
            .map(|listed| match number(&listed.value) {
                Some(x) if x >= 0.0 => {
                    let root = x.sqrt();
                    Ok(ListedValue { text: root.to_string(), value: toml::Value::Float(root) })
                }
                _ => Err(format!("sqrt takes numbers from 0 up, not `{}`", listed.text)),
            })
            .collect();
    }
    if let Some((list, counts)) = split_repetition(item) {
        return repeat(list, counts);
    }
    Ok(vec![ListedValue { text: item.to_string(), value: toml_or_word(item) }])
}

/// A TOML value, or else the text as a string (`data.dataset=spiral`).
fn toml_or_word(raw: &str) -> toml::Value {
    match format!("value = {raw}").parse::<toml::Table>() {
        Ok(mut table) => table.remove("value").expect("the key was just written"),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

fn number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// The arguments of `name(...)` if `item` is a call of it.
fn call<'a>(item: &'a str, name: &str) -> Option<&'a str> {
    item.strip_prefix(name)?.trim_start().strip_prefix('(')?.strip_suffix(')')
}

fn linspace(arguments: &str) -> Result<Vec<ListedValue>, String> {
    let usage = "linspace takes three numbers: from, to, and how many (at least 1)";
    let parts = split_top_level(arguments, ',')?;
    let [from, to, count] = parts.as_slice() else { return Err(format!("{usage}; got `linspace({arguments})`")) };
    let (from, to) = (toml_or_word(from.trim()), toml_or_word(to.trim()));
    let (Some(a), Some(b)) = (number(&from), number(&to)) else {
        return Err(format!("{usage}; got `linspace({arguments})`"));
    };
    let count = match count.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_LINSPACE).contains(&n) => n,
        _ => return Err(format!("{usage}, at most {MAX_LINSPACE}; got `{}`", count.trim())),
    };
    if !(a.is_finite() && b.is_finite()) {
        return Err(format!("{usage}; got `linspace({arguments})`"));
    }
    let intervals = (count - 1).max(1) as f64;
    // Weighted ends rather than a + i * step: both ends come out exact,
    // and 0..1 in tenths gives 0.3, not 0.30000000000000004.
    let values: Vec<f64> = (0..count).map(|i| (a * (intervals - i as f64) + b * i as f64) / intervals).collect();
    let whole = matches!((from, to), (toml::Value::Integer(_), toml::Value::Integer(_)))
        && values.iter().all(|v| v.fract() == 0.0 && v.abs() < 9.0e15);
    Ok(values
        .into_iter()
        .map(|v| {
            if whole {
                ListedValue { text: (v as i64).to_string(), value: toml::Value::Integer(v as i64) }
            } else {
                ListedValue { text: v.to_string(), value: toml::Value::Float(v) }
            }
        })
        .collect())
}

/// `[...]*COUNTS` split into the list and the counts, if `item` has that
/// shape: a bracketed list, then `*` outside it.
fn split_repetition(item: &str) -> Option<(&str, &str)> {
    if !item.starts_with('[') {
        return None;
    }
    let close = closing_bracket(item)?;
    let rest = item[close + 1..].trim_start().strip_prefix('*')?;
    Some((&item[..=close], rest.trim()))
}

/// The index of the `]` that closes the `[` at the start of `text`.
fn closing_bracket(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (c == ']').then_some(index);
                }
            }
            _ => {}
        }
    }
    None
}

fn repeat(list: &str, counts: &str) -> Result<Vec<ListedValue>, String> {
    let written = format!("{list}*{counts}");
    let toml::Value::Array(items) = toml_or_word(list) else {
        return Err(format!("`{written}`: `{list}` is not a list (write it like [64])"));
    };
    let counts: Vec<u64> = if let Ok(n) = counts.parse::<u64>() {
        vec![n]
    } else {
        let listed = if let Some(inner) = counts.strip_prefix('(').and_then(|c| c.strip_suffix(')')) {
            parse_list(inner)
        } else if call(counts, "linspace").is_some() {
            parse_item(counts)
        } else {
            Err(String::new())
        };
        let whole = |v: &ListedValue| match v.value {
            toml::Value::Integer(n) if n >= 0 => Some(n as u64),
            _ => None,
        };
        match listed.map(|values| values.iter().map(whole).collect::<Option<Vec<u64>>>()) {
            Ok(Some(counts)) => counts,
            _ => {
                return Err(format!(
                    "`{written}`: after `*` write how many times, as a whole number (`[64]*10`), \
                     several in parentheses (`[64]*(10,20)`) or linspace of whole numbers"
                ));
            }
        }
    };
    counts
        .into_iter()
        .map(|count| {
            if count > MAX_REPEAT {
                return Err(format!("`{written}`: {count} copies is more than {MAX_REPEAT}"));
            }
            let repeated: Vec<toml::Value> = (0..count).flat_map(|_| items.iter().cloned()).collect();
            Ok(ListedValue { text: format!("{list}*{count}"), value: toml::Value::Array(repeated) })
        })
        .collect()
}

/// Splits `text` at each `separator` outside brackets, braces, parentheses
/// and quotes.
fn split_top_level(text: &str, separator: char) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote = None;
    let mut escaped = false;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("`{text}` closes a bracket it never opened"));
                }
            }
            c if c == separator && depth == 0 => {
                parts.push(&text[start..index]);
                start = index + c.len_utf8();
            }
            _ => {}
        }
    }
    if depth != 0 || quote.is_some() {
        return Err(format!("`{text}` leaves a bracket or a quote open"));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(raw: &str) -> Vec<String> {
        parse_list(raw).unwrap().into_iter().map(|v| v.text).collect()
    }

    #[test]
    fn lists_split_only_at_top_level_commas() {
        assert_eq!(texts("0.8, 1.0,1.33"), ["0.8", "1.0", "1.33"]);
        assert_eq!(texts("[8, 8],[4]"), ["[8, 8]", "[4]"]);
        assert_eq!(texts("\"a,b\",c"), ["\"a,b\"", "c"]);
        assert_eq!(parse_list("relu,tanh").unwrap()[1].value, toml::Value::String("tanh".into()));
        assert!(parse_list("").is_err());
        assert!(parse_list("1,,2").unwrap_err().contains("empty"));
        assert!(parse_list("[1,2").unwrap_err().contains("open"));
    }

    #[test]
    fn repetition_builds_deep_networks() {
        let value = parse_value("[64]*3").unwrap();
        assert_eq!(value, toml::Value::Array(vec![toml::Value::Integer(64); 3]));
        assert_eq!(parse_value("[4, 2] * 2").unwrap().as_array().unwrap().len(), 4);
        assert_eq!(texts("[64]*(2,5),[32]*1"), ["[64]*2", "[64]*5", "[32]*1"]);
        assert_eq!(texts("[64]*linspace(10, 30, 3)"), ["[64]*10", "[64]*20", "[64]*30"]);
        assert!(parse_value("[64]*(2,5)").unwrap_err().contains("one"));
        assert_eq!(parse_value("sqrt(0.25)").unwrap(), toml::Value::Float(0.5));
        assert_eq!(parse_value("relu").unwrap(), toml::Value::String("relu".into()));
        assert!(parse_list("[64]*x").unwrap_err().contains("whole number"));
        assert!(parse_list("[64]*linspace(1, 2, 3)").unwrap_err().contains("whole number"));
        assert!(parse_list("[64]*100000").unwrap_err().contains("more than"));
    }

    #[test]
    fn linspace_and_sqrt_give_even_grids() {
        assert_eq!(texts("linspace(0, 1, 11)")[3], "0.3");
        let whole = parse_list("linspace(2, 10, 5)").unwrap();
        assert_eq!(whole[1].value, toml::Value::Integer(4));
        assert_eq!(parse_list("linspace(2.0, 10, 5)").unwrap()[1].value, toml::Value::Float(4.0));
        assert_eq!(texts("linspace(3, 3, 1)"), ["3"]);
        let roots = parse_list("sqrt(linspace(1, 4, 13))").unwrap();
        assert_eq!(roots.len(), 13);
        assert_eq!(roots[12].value, toml::Value::Float(2.0));
        assert!((number(&roots[1].value).unwrap().powi(2) - 1.25).abs() < 1e-15);
        assert!(parse_list("linspace(1, 2)").is_err());
        assert!(parse_list("linspace(1, 2, 0)").is_err());
        assert!(parse_list("sqrt(-1)").unwrap_err().contains("sqrt"));
    }
}
