//! A user's own points from a CSV file of `x, y, label` rows.
//!
//! Labels that are all whole numbers make a classification set: -1/1 or
//! 0..K-1 (K up to 10). Any other labels make a regression set. A first
//! row that is not numeric is taken as a header. Every error names the file
//! and the line.

use std::path::Path;

use super::{DataError, INPUT_HALF_WIDTH, PointSet};
use crate::nn::TaskKind;

/// The largest points file read: 100,000 rows of three numbers fit in a
/// few megabytes.
pub const MAX_CSV_BYTES: u64 = 64 << 20;

pub fn read_points_csv(path: &Path) -> Result<PointSet, DataError> {
    let text = crate::files::read_text_capped(path, MAX_CSV_BYTES).map_err(DataError::Read)?;
    parse_points_csv(&text, path)
}

fn parse_points_csv(text: &str, path: &Path) -> Result<PointSet, DataError> {
    let malformed = |location: String, message: String| DataError::Malformed { path: path.to_path_buf(), location, message };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|error| malformed(format!("line {}", index + 1), error.to_string()))?;
        let line = record.position().map_or(index as u64 + 1, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 3 {
            return Err(malformed(format!("line {line}"), format!("expected 3 values (x, y, label), found {}", record.len())));
        }
        let parsed: Vec<Result<f64, _>> = record.iter().map(str::parse::<f64>).collect();
        if points.is_empty() && labels.is_empty() && parsed.iter().all(Result::is_err) {
            continue; // a header row
        }
        let mut values = [0.0; 3];
        for (column, ((value, result), name)) in values.iter_mut().zip(parsed).zip(["x", "y", "label"]).enumerate() {
            let raw = &record[column];
            *value = result.map_err(|_| malformed(format!("line {line}"), format!("{name} = \"{raw}\" is not a number")))?;
            if !value.is_finite() {
                return Err(malformed(format!("line {line}"), format!("{name} = {raw} is not a finite number")));
            }
        }
        for (name, value) in [("x", values[0]), ("y", values[1])] {
            if value.abs() > INPUT_HALF_WIDTH {
                return Err(malformed(
                    format!("line {line}"),
                    format!(
                        "{name} = {value} is outside the input square [-{INPUT_HALF_WIDTH}, {INPUT_HALF_WIDTH}]; rescale the coordinates"
                    ),
                ));
            }
        }
        points.push([values[0], values[1]]);
        labels.push(values[2]);
    }
    let max = super::MAX_POINTS;
    if labels.len() < 4 {
        return Err(malformed("whole file".into(), format!("has {} points; at least 4 are needed to train and test", labels.len())));
    }
    if labels.len() > max {
        return Err(malformed("whole file".into(), format!("has {} points; at most {max} are allowed", labels.len())));
    }
    let task = classify_labels(&mut labels).map_err(|message| malformed("label column".into(), message))?;
    Ok(PointSet { points, labels, task })
}

/// Decides the task from the labels and maps -1/1 labels to classes 0/1.
fn classify_labels(labels: &mut [f64]) -> Result<TaskKind, String> {
    let whole = labels.iter().all(|l| l.fract() == 0.0);
    if !whole {
        return Ok(TaskKind::Regression);
    }
    let (lowest, highest) = labels.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &l| (lo.min(l), hi.max(l)));
    if lowest == -1.0 && highest == 1.0 && labels.iter().all(|&l| l == -1.0 || l == 1.0) {
        labels.iter_mut().for_each(|l| *l = if *l > 0.0 { 1.0 } else { 0.0 });
        return Ok(TaskKind::Classification { classes: 2 });
    }
    let max_classes = super::MAX_CLASSES;
    if lowest < 0.0 || highest >= max_classes as f64 {
        return Err(format!(
            "whole-number labels must be -1/1 or classes 0 to {} (found {lowest} to {highest}); use fractional values for regression",
            max_classes - 1
        ));
    }
    if lowest == highest {
        return Err(format!("every label is {lowest}: a classification set needs at least two classes"));
    }
    Ok(TaskKind::Classification { classes: highest as usize + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PointSet, String> {
        parse_points_csv(text, Path::new("points.csv")).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_header_classes_and_regression() {
        let set = parse("x,y,label\n1,2,1\n-1,-2,-1\n0.5,0.5,1\n-3,3,-1\n").unwrap();
        assert_eq!(set.task, TaskKind::Classification { classes: 2 });
        assert_eq!(set.labels, vec![1.0, 0.0, 1.0, 0.0]);
        let set = parse("1,2,0\n1,2,1\n1,2,2\n0,0,0\n").unwrap();
        assert_eq!(set.task, TaskKind::Classification { classes: 3 });
        let set = parse("1,2,0.5\n1,2,1\n1,2,-0.25\n0,0,0\n").unwrap();
        assert_eq!(set.task, TaskKind::Regression);
    }

    #[test]
    fn errors_name_file_line_and_value() {
        let err = parse("1,2,1\n3,abc,0\n1,1,1\n2,2,0\n").unwrap_err();
        assert!(err.contains("points.csv") && err.contains("line 2") && err.contains("y = \"abc\""), "{err}");
        let err = parse("1,2,1\n3,4\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("expected 3 values"), "{err}");
        let err = parse("1,2,1\n9,0,0\n1,1,1\n2,2,0\n").unwrap_err();
        assert!(err.contains("x = 9") && err.contains("outside"), "{err}");
        let err = parse("1,2,1\n").unwrap_err();
        assert!(err.contains("at least 4"), "{err}");
        let err = parse("1,2,1\n1,2,1\n1,2,1\n1,2,1\n").unwrap_err();
        assert!(err.contains("two classes"), "{err}");
        let err = parse("1,2,1\n1,2,NaN\n1,2,1\n1,2,0\n").unwrap_err();
        assert!(err.contains("not a finite number"), "{err}");
        let err = parse("").unwrap_err();
        assert!(err.contains("0 points"), "{err}");
    }
}
