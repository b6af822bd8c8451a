//! Plain-text tables for the terminal: columns sized to their content, shrunk to fit the terminal's
//! width with `…` where a cell is cut, control characters replaced so data cannot drive the terminal.

use std::io::IsTerminal;

const GAP: &str = "  ";
/// A column is never shrunk below this many characters (or its natural width, if smaller).
const MIN_COLUMN: usize = 6;

/// A table with a header row.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<&'static str>,
    /// Columns that are never cut (ids, timestamps), by position.
    whole: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: Vec<&'static str>) -> Table {
        Table {
            whole: vec![false; headers.len()],
            headers,
            rows: Vec::new(),
        }
    }

    /// Keeps column `index` whole when fitting the table: other columns shrink instead.
    pub fn keep_whole(mut self, index: usize) -> Table {
        self.whole[index] = true;
        self
    }

    /// Adds a row; cells beyond the headers are dropped, missing ones are empty.
    pub fn push(&mut self, row: Vec<String>) {
        let mut row: Vec<String> = row.into_iter().map(|cell| printable(&cell)).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The table as lines, fitted to `max_width` columns when given.
    pub fn render(&self, max_width: Option<usize>) -> String {
        let widths = self.widths(max_width);
        let mut out = String::new();
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| fit(cell, *width))
                .collect();
            let line = cells.join(GAP);
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn widths(&self, max_width: Option<usize>) -> Vec<usize> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let Some(max_width) = max_width else {
            return widths;
        };
        let minimums: Vec<usize> = widths
            .iter()
            .zip(&self.whole)
            .map(|(w, whole)| if *whole { *w } else { (*w).min(MIN_COLUMN) })
            .collect();
        let gaps = GAP.len() * widths.len().saturating_sub(1);
        let mut total: usize = widths.iter().sum::<usize>() + gaps;
        while total > max_width {
            // Take one character from the widest column that can still give one.
            let widest = widths
                .iter()
                .zip(&minimums)
                .enumerate()
                .filter(|(_, (w, min))| w > min)
                .max_by_key(|(i, (w, _))| (**w, std::cmp::Reverse(*i)));
            let Some((i, _)) = widest else { break };
            widths[i] -= 1;
            total -= 1;
        }
        widths
    }
}

/// Prints `value` as pretty JSON with `json`, else the table `table` makes of it, fitted to the
/// terminal: what every `list` command prints.
pub fn print_list<T: serde::Serialize + ?Sized>(
    json: bool,
    value: &T,
    table: impl FnOnce(&T) -> Table,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", table(value).render(terminal_width()));
    }
    Ok(())
}

/// The terminal's width when stdout is a terminal; `None` when output goes to a pipe or file.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    console::Term::stdout()
        .size_checked()
        .map(|(_, columns)| usize::from(columns))
}

/// `cell` cut or padded to exactly `width` characters.
fn fit(cell: &str, width: usize) -> String {
    let len = cell.chars().count();
    if len <= width {
        let mut padded = cell.to_owned();
        padded.extend(std::iter::repeat_n(' ', width - len));
        padded
    } else if width == 0 {
        String::new()
    } else {
        let cut: String = cell.chars().take(width - 1).collect();
        let cut = cut.trim_end();
        let pad = width - 1 - cut.chars().count();
        format!("{cut}…{}", " ".repeat(pad))
    }
}

/// Control characters (newlines, escapes) become spaces.
fn printable(cell: &str) -> String {
    cell.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table = Table::new(vec!["Date", "Actor", "Action"]);
        table.push(vec![
            "2026-11-21T10:00:00.000Z".into(),
            "Alice Kim (Admin)".into(),
            "member.role_changed".into(),
        ]);
        table.push(vec!["2026-11-21T09:00:00.000Z".into(), "usr_9".into()]);
        table
    }

    #[test]
    fn columns_take_their_widest_cell_without_a_limit() {
        assert_eq!(
            sample().render(None),
            "Date                      Actor              Action\n\
             2026-11-21T10:00:00.000Z  Alice Kim (Admin)  member.role_changed\n\
             2026-11-21T09:00:00.000Z  usr_9\n"
        );
    }

    #[test]
    fn the_widest_columns_shrink_to_fit_the_terminal() {
        let out = sample().render(Some(50));
        assert!(out.lines().all(|l| l.chars().count() <= 50), "{out}");
        assert!(out.contains('…'), "{out}");
        let out = sample().keep_whole(0).render(Some(50));
        assert!(out.lines().all(|l| l.chars().count() <= 50), "{out}");
        assert!(
            out.contains("2026-11-21T10:00:00.000Z  Alice Kim…   member.rol…"),
            "{out}"
        );
        // Below the sum of minimum widths the table overflows rather than lose every column.
        let narrow = sample().render(Some(5));
        assert!(narrow.lines().next().unwrap().starts_with("Date  "));
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let mut table = Table::new(vec!["A"]);
        table.push(vec!["x\u{1b}[31mred\nline".into()]);
        assert_eq!(table.render(None), "A\nx [31mred line\n");
    }
}
