//! Input text → Arrow batches per hour cell, on several threads.
//!
//! Takes an input file's text in chunks of whole lines (or a whole
//! document) and hands back, per chunk and in input order, the chunk's rows
//! as one Arrow batch and each hour cell's share of it with their row keys
//! (`rows`), plus the malformed lines with their numbers and problems. One
//! builder per parser, whatever the number of hours. Knows nothing of the archive:
//! deduplication and files are `cell`'s. Chunks are parsed in parallel (one
//! parser per core), so converting JSON is not bound to one core. Reads a
//! spill file (`spill`) the same way, its lines being records.

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::columns::RowBuilder;
use crate::datasets::DatasetDef;
use crate::layout;
use crate::record::Record;
use crate::schema::arrow_schema;

use super::rows::CellRows;
use super::{kind, spill};

/// Bytes of whole lines parsed together.
const CHUNK_BYTES: usize = 2 * 1024 * 1024;

/// What a file's lines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
    /// An input's: records, records under `properties`, pages.
    Input,
    /// A spill file's: one record each, as `spill` wrote it.
    Spilled,
}

/// What a chunk (or part of a document) held.
#[derive(Default)]
pub(super) struct Parsed {
    /// Lines read (a chunk's; line numbers below count from the chunk's
    /// first line, which is line 1 of its own).
    pub lines: u64,
    /// Valid records found.
    pub records: u64,
    /// Each hour cell's rows, in order of their first.
    pub cells: Vec<CellRows>,
    /// `(line, problem)` of each malformed line (or record of a page).
    pub malformed: Vec<(u64, String)>,
    /// Whether an hour's rows came apart, another hour's between them: the
    /// input is not in order.
    pub interleaved: bool,
}

/// A line (or document) that is not a record itself: a record under
/// `properties`, or a page.
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    #[serde(borrow)]
    pub(super) properties: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(super) value: Option<Vec<&'a RawValue>>,
}

/// Where in its line a record was: the line itself, under `properties`, or
/// the n-th record of a page.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Line,
    Properties,
    Value(usize),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Line => Ok(()),
            Origin::Properties => f.write_str("properties: "),
            Origin::Value(i) => write!(f, "value[{i}]: "),
        }
    }
}

/// Turns records' text into batches per cell; reused from chunk to chunk.
pub(super) struct Parser {
    def: &'static DatasetDef,
    /// Rows since the last [`take`](Self::take), in input order.
    rows: RowBuilder,
    /// Each row's hour, key, and where it came from.
    cells: Vec<DateTime<Utc>>,
    keys: Vec<String>,
    origins: Vec<(u64, Origin)>,
    parsed: Parsed,
}

impl Parser {
    pub(super) fn new(def: &'static DatasetDef) -> Parser {
        Parser {
            def,
            rows: RowBuilder::new(def, arrow_schema(def)),
            cells: Vec::new(),
            keys: Vec::new(),
            origins: Vec::new(),
            parsed: Parsed::default(),
        }
    }

    /// Parses a chunk of whole lines (each ending in `\n` but perhaps the
    /// last); line numbers in what it answers count from 1 in the chunk.
    pub(super) fn chunk(&mut self, bytes: &[u8]) -> Parsed {
        let mut number = 0;
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', bytes).chain((bytes.last() != Some(&b'\n')).then_some(bytes.len()));
        for end in ends {
            number += 1;
            match std::str::from_utf8(&bytes[start..end]) {
                Ok(text) => self.line(number, text.trim()),
                Err(e) => self.malformed(number, format!("not UTF-8 text: {e}")),
            }
            start = end + 1;
        }
        self.parsed.lines = number;
        self.take()
    }

    /// Parses a chunk of a spill file's lines (see [`chunk`](Self::chunk)).
    pub(super) fn spilled(&mut self, bytes: &[u8]) -> Parsed {
        let mut number = 0;
        for line in bytes.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            number += 1;
            match std::str::from_utf8(&spill::unescape(line)) {
                Ok(text) => self.line(number, text),
                Err(e) => self.malformed(number, format!("not UTF-8 text: {e}")),
            }
        }
        self.parsed.lines = number;
        self.take()
    }

    /// A line: a record, a record under `properties`, or a page.
    pub(super) fn line(&mut self, number: u64, text: &str) {
        if text.is_empty() {
            return;
        }
        let problem = match Record::of(text, self.def) {
            Ok(record) => return self.record(number, Origin::Line, &record),
            Err(problem) => problem,
        };
        match serde_json::from_str::<Envelope>(text) {
            Ok(Envelope { properties: Some(inner), .. }) => match Record::of(inner.get(), self.def) {
                Ok(record) => self.record(number, Origin::Properties, &record),
                Err(problem) => self.malformed(number, format!("properties: {problem}")),
            },
            Ok(Envelope { value: Some(records), .. }) => self.page(number, 0, &records),
            _ => self.malformed(number, problem),
        }
    }

    /// The records of a page found at `line`, the first of them its
    /// `first`-th.
    pub(super) fn page(&mut self, line: u64, first: usize, records: &[&RawValue]) {
        for (i, raw) in records.iter().enumerate().map(|(i, raw)| (first + i, raw)) {
            match Record::of(raw.get(), self.def) {
                Ok(record) => self.record(line, Origin::Value(i), &record),
                Err(problem) => self.malformed(line, format!("value[{i}]: {problem}")),
            }
        }
    }

    /// Records parsed since the last call, as one batch shared out by
    /// hour. A sign-in of another kind than the dataset holds is malformed
    /// here, its row left out.
    pub(super) fn take(&mut self) -> Parsed {
        let mut parsed = std::mem::take(&mut self.parsed);
        if self.keys.is_empty() {
            return parsed;
        }
        // Every row was appended whole, so the columns line up.
        let batch = self.rows.finish().expect("rows of one schema make a batch");
        let mut keep = vec![true; batch.num_rows()];
        for (row, problem) in kind::mismatches(self.def, &batch) {
            let (line, origin) = self.origins[row];
            parsed.malformed.push((line, format!("{origin}{problem}")));
            parsed.records -= 1;
            keep[row] = false;
        }
        // Each hour's rows, hours in order of their first row.
        let mut shares: Vec<(DateTime<Utc>, Vec<String>, Vec<u32>)> = Vec::new();
        let mut at = 0;
        for (row, (cell, key)) in self.cells.drain(..).zip(self.keys.drain(..)).enumerate() {
            if !keep[row] {
                continue;
            }
            if shares.get(at).is_none_or(|share| share.0 != cell) {
                let found = shares.iter().position(|share| share.0 == cell);
                parsed.interleaved |= found.is_some();
                at = found.unwrap_or_else(|| {
                    shares.push((cell, Vec::new(), Vec::new()));
                    shares.len() - 1
                });
            }
            shares[at].1.push(key);
            shares[at].2.push(row as u32);
        }
        self.origins.clear();
        parsed.malformed.sort_by_key(|(line, _)| *line);
        parsed.cells =
            shares.into_iter().map(|(cell, keys, rows)| CellRows::new(cell, keys, batch.clone(), rows)).collect();
        parsed
    }

    /// Records waiting for [`take`](Self::take).
    pub(super) fn pending(&self) -> usize {
        self.keys.len()
    }

    fn record(&mut self, line: u64, origin: Origin, record: &Record) {
        match self.rows.append(record.raw) {
            Ok(()) => {
                self.cells.push(layout::cell_of(record.time));
                self.keys.push(record.key(self.def));
                self.origins.push((line, origin));
                self.parsed.records += 1;
            }
            Err(problem) => self.malformed(line, format!("{origin}{problem}")),
        }
    }

    fn malformed(&mut self, line: u64, problem: String) {
        self.parsed.malformed.push((line, problem));
    }
}

/// Reads `file` in chunks of whole lines (what was read of it already in
/// `head`; the `lines` of an input or of a spill file) and parses them on
/// `threads` parsers, handing each chunk's
/// [`Parsed`] to `take` in input order, its line numbers counted from the
/// file's start. Stops at the first error of `take` (returned as the inner
/// error) or of reading.
pub(super) fn parse_lines<E: Send>(
    def: &'static DatasetDef,
    head: Vec<u8>,
    file: File,
    lines: Lines,
    threads: usize,
    mut take: impl FnMut(Parsed) -> Result<(), E>,
) -> io::Result<Result<(), E>> {
    let threads = threads.max(1);
    std::thread::scope(|scope| {
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        for _ in 0..threads {
            let (to_parser, chunks) = sync_channel::<Vec<u8>>(1);
            let (parsed, from_parser) = sync_channel::<Parsed>(1);
            std::thread::Builder::new()
                .name("import-parse".into())
                .spawn_scoped(scope, move || parse_all(def, lines, chunks, parsed))?;
            inputs.push(to_parser);
            outputs.push(from_parser);
        }
        let reader = std::thread::Builder::new()
            .name("import-read".into())
            .spawn_scoped(scope, move || read_chunks(head, file, CHUNK_BYTES, inputs))?;
        let mut outcome = Ok(());
        let mut lines_before = 0;
        for k in 0.. {
            let Ok(mut parsed) = outputs[k % threads].recv() else { break };
            parsed.malformed.iter_mut().for_each(|(line, _)| *line += lines_before);
            lines_before += parsed.lines;
            outcome = take(parsed);
            if outcome.is_err() {
                break;
            }
        }
        // Parsers and the reader stop once nobody takes what they send.
        drop(outputs);
        let read = reader.join().unwrap_or_else(|_| Err(io::Error::other("the reader panicked")));
        match outcome {
            Err(e) => Ok(Err(e)),
            Ok(()) => read.map(Ok),
        }
    })
}

fn parse_all(def: &'static DatasetDef, lines: Lines, chunks: Receiver<Vec<u8>>, parsed: SyncSender<Parsed>) {
    let mut parser = Parser::new(def);
    for chunk in chunks {
        let done = match lines {
            Lines::Input => parser.chunk(&chunk),
            Lines::Spilled => parser.spilled(&chunk),
        };
        if parsed.send(done).is_err() {
            return;
        }
    }
}

/// Sends chunks of whole lines round-robin to the parsers.
fn read_chunks(
    head: Vec<u8>,
    mut file: impl Read,
    chunk_bytes: usize,
    parsers: Vec<SyncSender<Vec<u8>>>,
) -> io::Result<()> {
    let mut pending = head;
    let mut eof = false;
    for next in 0.. {
        let mut want = chunk_bytes;
        let cut = loop {
            while !eof && pending.len() < want {
                let need = want - pending.len();
                eof = (&mut file).take(need as u64).read_to_end(&mut pending)? < need;
            }
            match memchr::memrchr(b'\n', &pending) {
                _ if eof => break pending.len(),
                Some(last) => break last + 1,
                // A line longer than a chunk: read on until it ends.
                None => want = pending.len() * 2,
            }
        };
        if cut == 0 {
            break;
        }
        let mut rest = Vec::with_capacity(chunk_bytes + 64 * 1024);
        rest.extend_from_slice(&pending[cut..]);
        pending.truncate(cut);
        let chunk = std::mem::replace(&mut pending, rest);
        if parsers[next % parsers.len()].send(chunk).is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::by_name;

    fn signin(id: &str, time: &str) -> String {
        format!(r#"{{"id":"{id}","createdDateTime":"{time}","userId":"u"}}"#)
    }

    fn ids(parsed: &Parsed) -> Vec<(DateTime<Utc>, Vec<String>)> {
        parsed.cells.iter().map(|rows| (rows.cell, rows.keys.clone())).collect()
    }

    #[test]
    fn a_chunk_gives_batches_per_hour_and_numbered_problems() {
        let def = by_name("signins").unwrap();
        let mut text = Vec::new();
        text.extend(signin("a", "2026-11-20T01:10:00Z").bytes());
        text.extend(b"\r\n\n");
        text.extend(
            format!(r#"{{"category":"SignInLogs","properties":{}}}"#, signin("b", "2026-11-20T02:00:00Z")).bytes(),
        );
        text.extend(b"\n{\"id\":\"c\",\"createdDateTime\":\"2026-11-20T01:59:59Z\",\"userId\"\n");
        text.extend(b"{\"id\":\"\xff\"}\n");
        text.extend(format!(r#"{{"value":[{},{{"id":"e"}}]}}"#, signin("d", "2026-11-20T01:00:00Z")).bytes());
        let parsed = Parser::new(def).chunk(&text);
        assert_eq!(parsed.lines, 6, "the last line has no newline and still counts");
        assert_eq!(parsed.records, 3);
        let hour = |h: &str| DateTime::parse_from_rfc3339(h).unwrap().with_timezone(&Utc);
        assert_eq!(
            ids(&parsed),
            vec![
                (hour("2026-11-20T01:00:00Z"), vec!["a".to_string(), "d".to_string()]),
                (hour("2026-11-20T02:00:00Z"), vec!["b".to_string()]),
            ]
        );
        assert!(parsed.interleaved, "hour 1, hour 2, hour 1 again");
        let raw: Vec<&str> = parsed.cells[1].raws().collect();
        assert_eq!(raw, [signin("b", "2026-11-20T02:00:00Z")], "the record, unwrapped");
        let problems: Vec<(u64, &str)> = parsed.malformed.iter().map(|(l, p)| (*l, p.as_str())).collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(problems[0].0, 4);
        assert!(problems[0].1.contains("not valid JSON"), "found id and time, then the text broke: {problems:?}");
        assert_eq!(problems[1].0, 5);
        assert!(problems[1].1.contains("UTF-8"), "{problems:?}");
        assert_eq!(problems[2].0, 6);
        assert!(problems[2].1.starts_with("value[1]: "), "{problems:?}");
    }

    #[test]
    fn a_spill_file_s_lines_are_its_records_exactly() {
        let def = by_name("signins").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let hour = "2026-11-20T01:00:00Z".parse().unwrap();
        let pretty = "{\n  \"id\": \"p\",\r\n  \"createdDateTime\": \"2026-11-20T01:20:00Z\"\n}";
        let plain = signin("a", "2026-11-20T01:10:00Z");
        let mut spills = spill::Spills::new(dir.path(), "run");
        spills.append(hour, [plain.as_str(), pretty]).unwrap();
        let spill = spills.take(hour).unwrap().unwrap();
        let parsed = Parser::new(def).spilled(&std::fs::read(spill.path()).unwrap());
        assert_eq!((parsed.lines, parsed.records, parsed.malformed.len()), (2, 2, 0));
        assert_eq!(ids(&parsed), [(hour, vec!["a".to_string(), "p".to_string()])]);
        assert_eq!(parsed.cells[0].raws().collect::<Vec<_>>(), [plain.as_str(), pretty], "byte for byte");
    }

    #[test]
    fn chunks_end_at_line_ends_whatever_the_line_lengths() {
        let mut text = Vec::new();
        for i in 0..200 {
            text.extend(std::iter::repeat_n(b'x', (i * 37) % 300));
            text.push(b'\n');
        }
        text.extend(b"no newline at the end");
        for chunk_bytes in [1, 64, 1000] {
            for split in [0, 5, 700] {
                let (head, rest) = text.split_at(split);
                let (send, chunks) = sync_channel(1000);
                read_chunks(head.to_vec(), rest, chunk_bytes, vec![send]).unwrap();
                let chunks: Vec<Vec<u8>> = chunks.into_iter().collect();
                assert_eq!(chunks.concat(), text, "nothing lost or repeated");
                for chunk in &chunks[..chunks.len() - 1] {
                    assert_eq!(chunk.last(), Some(&b'\n'), "every chunk but the last ends a line");
                }
            }
        }
    }
}
