//! Writing an export job's file: one file (optionally gzip), numbered parts of at most N rows in
//! one zip, or a verifiable bundle (a zip of the events as stored, their inclusion proofs, the
//! checkpoint and the public key). Synchronous: the worker runs it on a blocking thread and feeds
//! it page by page, so memory stays at one page whatever the export's size.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use trail_core::catalogue::compiled::Display;
use trail_core::event::Event;
use trail_core::export::{Encoder, ExportFormat};
use trail_core::merkle::InclusionProof;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// What a job's file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One file in the format, gzip-compressed when asked.
    Single,
    /// A zip of numbered parts of at most this many rows each.
    Parts(u64),
    /// A zip that `trail verify --bundle` checks offline.
    Bundle,
}

/// The file name a finished job's file gets (`<id>.csv.gz`, `<id>.zip`, …).
pub fn file_name(id: &str, format: ExportFormat, gzip: bool, layout: Layout) -> String {
    match layout {
        Layout::Single if gzip => format!("{id}.{}.gz", format.extension()),
        Layout::Single => format!("{id}.{}", format.extension()),
        Layout::Parts(_) | Layout::Bundle => format!("{id}.zip"),
    }
}

/// Where the bundle's signed checkpoint and key come from.
pub struct BundleHead {
    pub checkpoint: String,
    pub public_key: String,
    pub manifest: serde_json::Value,
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
    Zip(Box<ZipWriter<BufWriter<File>>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
            Sink::Zip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
            Sink::Zip(w) => w.flush(),
        }
    }
}

/// Writes one job's file event by event.
pub struct FileWriter {
    sink: Sink,
    layout: Layout,
    encoder: Encoder,
    entry: SimpleFileOptions,
    base: String,
    part: u32,
    /// Rows in the current part.
    rows: u64,
    /// The bundle's proofs, written as a second entry after the events (spooled to a file).
    proofs: Option<BufWriter<File>>,
    proofs_path: Option<std::path::PathBuf>,
    buffer: Vec<u8>,
}

impl FileWriter {
    /// Creates `path`. `base` names the entries inside a zip.
    pub fn create(
        path: &Path,
        format: ExportFormat,
        gzip: bool,
        layout: Layout,
        base: &str,
    ) -> io::Result<FileWriter> {
        let file = BufWriter::with_capacity(256 * 1024, File::create(path)?);
        let method = if gzip {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let entry = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true);
        let (sink, encoder) = match layout {
            Layout::Single if gzip => (
                Sink::Gzip(GzEncoder::new(file, Compression::fast())),
                Encoder::new(format),
            ),
            Layout::Single => (Sink::Plain(file), Encoder::new(format)),
            Layout::Parts(_) => (
                Sink::Zip(Box::new(ZipWriter::new(file))),
                Encoder::new(format),
            ),
            Layout::Bundle => (
                Sink::Zip(Box::new(ZipWriter::new(file))),
                Encoder::new(ExportFormat::Ndjson),
            ),
        };
        let (proofs, proofs_path) = if layout == Layout::Bundle {
            let spool = path.with_extension("proofs");
            (Some(BufWriter::new(File::create(&spool)?)), Some(spool))
        } else {
            (None, None)
        };
        let mut writer = FileWriter {
            sink,
            layout,
            encoder,
            entry,
            base: base.to_owned(),
            part: 0,
            rows: 0,
            proofs,
            proofs_path,
            buffer: Vec::with_capacity(1 << 20),
        };
        writer.start_part()?;
        Ok(writer)
    }

    fn start_part(&mut self) -> io::Result<()> {
        self.part += 1;
        self.rows = 0;
        if let Sink::Zip(zip) = &mut self.sink {
            let name = match self.layout {
                Layout::Bundle => "events.ndjson".to_owned(),
                _ => format!(
                    "{}-part-{:04}.{}",
                    self.base,
                    self.part,
                    self.encoder.format().extension()
                ),
            };
            zip.start_file(name, self.entry).map_err(io::Error::other)?;
        }
        self.buffer.clear();
        self.encoder.begin(&mut self.buffer);
        Ok(())
    }

    fn end_part(&mut self) -> io::Result<()> {
        self.encoder.end(&mut self.buffer);
        self.sink.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }

    /// Appends events with their read-time `display` (and, for a bundle, their proofs in the
    /// same order).
    pub fn write(
        &mut self,
        events: &[Event],
        displays: &[Display],
        proofs: &[InclusionProof],
    ) -> io::Result<()> {
        for (i, event) in events.iter().enumerate() {
            if let Layout::Parts(max) = self.layout
                && self.rows >= max
            {
                self.end_part()?;
                self.start_part()?;
            }
            self.encoder.shown(&mut self.buffer, event, displays.get(i));
            self.rows += 1;
        }
        self.sink.write_all(&self.buffer)?;
        self.buffer.clear();
        if let Some(spool) = &mut self.proofs {
            for proof in proofs {
                serde_json::to_writer(&mut *spool, proof)?;
                spool.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// Ends the file (and for a bundle adds the proofs, the checkpoint, the key and a manifest)
    /// and makes it durable.
    pub fn finish(mut self, head: Option<&BundleHead>) -> io::Result<()> {
        self.end_part()?;
        let file = match self.sink {
            Sink::Plain(w) => w.into_inner().map_err(io::IntoInnerError::into_error)?,
            Sink::Gzip(w) => w
                .finish()?
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?,
            Sink::Zip(mut zip) => {
                if let (Some(head), Some(spool), Some(spool_path)) =
                    (head, self.proofs.take(), self.proofs_path.take())
                {
                    drop(spool.into_inner().map_err(io::IntoInnerError::into_error)?);
                    zip.start_file("proofs.ndjson", self.entry)
                        .map_err(io::Error::other)?;
                    io::copy(&mut File::open(&spool_path)?, &mut *zip)?;
                    std::fs::remove_file(&spool_path)?;
                    for (name, text) in [
                        ("checkpoint", head.checkpoint.as_str()),
                        ("public-key", head.public_key.as_str()),
                    ] {
                        zip.start_file(name, self.entry).map_err(io::Error::other)?;
                        zip.write_all(text.as_bytes())?;
                    }
                    zip.start_file("manifest.json", self.entry)
                        .map_err(io::Error::other)?;
                    serde_json::to_writer_pretty(&mut *zip, &head.manifest)?;
                }
                zip.finish()
                    .map_err(io::Error::other)?
                    .into_inner()
                    .map_err(io::IntoInnerError::into_error)?
            }
        };
        file.sync_all()
    }

    /// Removes a spool left by an abandoned bundle.
    pub fn abandon(self) {
        if let Some(path) = self.proofs_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
