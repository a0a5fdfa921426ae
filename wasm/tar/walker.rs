// The push-based tar walker: a state machine fed chunk by chunk. Headers and
// special records may straddle chunks (they are buffered); file data never is:
// it is reported as (offset, length) ranges into the chunk being pushed.

use crate::abi::*;
use crate::buf::Buf;
use crate::header::{self as hdr, Fail, Res, BAD_HEADER, BLOCK};
use crate::out::Out;
use crate::pax::{self, Overrides, XATTR};

/// GNU long names and PAX headers above this are refused (as Go's reader does).
const MAX_SPECIAL: u64 = 1 << 20;
pub const UNEXPECTED_EOF: Fail = Fail::Msg("unexpected EOF");

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Header,
    Data,
    Special(u8),
    Padding,
    Done,
}

pub struct Walker {
    phase: Phase,
    block: [u8; BLOCK],
    filled: usize,
    /// Bytes of data (or special record) still to come for the current entry.
    remaining: u64,
    padding: u64,
    zero_blocks: u32,
    special: Buf,
    long_name: Option<Buf>,
    long_link: Option<Buf>,
    pax: Option<Buf>,
    global: Buf,
    pub out: Out,
}

impl Walker {
    pub const fn new() -> Walker {
        Walker {
            phase: Phase::Header,
            block: [0; BLOCK],
            filled: 0,
            remaining: 0,
            padding: 0,
            zero_blocks: 0,
            special: Buf::new(),
            long_name: None,
            long_link: None,
            pax: None,
            global: Buf::new(),
            out: Out::new(),
        }
    }

    pub fn release(&mut self) {
        for buf in [&mut self.special, &mut self.global] {
            buf.release();
        }
        for slot in [&mut self.long_name, &mut self.long_link, &mut self.pax] {
            if let Some(mut buf) = slot.take() {
                buf.release();
            }
        }
        self.out.clear();
    }

    /// Walks `chunk`, appending events to `self.out`.
    pub fn push(&mut self, chunk: &[u8]) -> Res<()> {
        let mut pos = 0;
        while pos < chunk.len() {
            let avail = chunk.len() - pos;
            match self.phase {
                Phase::Done => return Ok(()),
                Phase::Header => {
                    let take = (BLOCK - self.filled).min(avail);
                    self.block[self.filled..self.filled + take].copy_from_slice(&chunk[pos..pos + take]);
                    self.filled += take;
                    pos += take;
                    if self.filled == BLOCK {
                        self.filled = 0;
                        self.header()?;
                    }
                }
                Phase::Data => {
                    let take = self.remaining.min(avail as u64) as usize;
                    self.out.data(pos, take);
                    pos += take;
                    self.remaining -= take as u64;
                    if self.remaining == 0 {
                        self.out.end();
                        self.phase = Phase::Padding;
                    }
                }
                Phase::Special(kind) => {
                    let take = self.remaining.min(avail as u64) as usize;
                    self.special.push(&chunk[pos..pos + take]);
                    pos += take;
                    self.remaining -= take as u64;
                    if self.remaining == 0 {
                        self.special_done(kind)?;
                    }
                }
                Phase::Padding => {
                    let take = self.padding.min(avail as u64) as usize;
                    pos += take;
                    self.padding -= take as u64;
                }
            }
            if self.phase == Phase::Padding && self.padding == 0 {
                self.phase = Phase::Header;
            }
        }
        Ok(())
    }

    /// The stream ended: fine between entries or after the end marker, not inside one.
    pub fn finish(&self) -> Res<()> {
        let clean = match self.phase {
            Phase::Done => true,
            Phase::Header => self.filled == 0 && self.long_name.is_none() && self.long_link.is_none() && self.pax.is_none(),
            _ => false,
        };
        if clean { Ok(()) } else { Err(UNEXPECTED_EOF) }
    }

    fn header(&mut self) -> Res<()> {
        if hdr::is_zero(&self.block) {
            self.zero_blocks += 1;
            if self.zero_blocks == 2 {
                self.phase = Phase::Done;
            }
            return Ok(());
        }
        // A lone zero block followed by a header: Go's reader (and so Docker) refuses it.
        if self.zero_blocks != 0 || !hdr::checksum_ok(&self.block) {
            return Err(BAD_HEADER);
        }
        let flag = hdr::typeflag(&self.block);
        let size = hdr::size(&self.block)?;
        if size < 0 {
            return Err(BAD_HEADER);
        }
        let size = size as u64;
        if matches!(flag, b'L' | b'K' | b'x' | b'g') {
            if size > MAX_SPECIAL {
                return Err(Fail::Msg("archive/tar: extended header too long"));
            }
            self.special.clear();
            self.enter(Phase::Special(flag), size);
            if size == 0 {
                self.special_done(flag)?;
            }
            return Ok(());
        }
        let data = self.entry(flag, size)?;
        self.enter(Phase::Data, data);
        if data == 0 {
            self.out.end();
            self.phase = Phase::Padding;
        }
        Ok(())
    }

    fn enter(&mut self, phase: Phase, size: u64) {
        self.phase = phase;
        self.remaining = size;
        self.padding = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
    }

    fn special_done(&mut self, kind: u8) -> Res<()> {
        let data = self.special.as_slice();
        match kind {
            b'L' | b'K' => {
                let mut buf = Buf::new();
                buf.push(hdr::cstr(data));
                let slot = if kind == b'L' { &mut self.long_name } else { &mut self.long_link };
                if let Some(mut old) = slot.replace(buf) {
                    old.release();
                }
            }
            b'x' => {
                Overrides::default().apply(data)?;
                let mut buf = Buf::new();
                buf.push(data);
                if let Some(mut old) = self.pax.replace(buf) {
                    old.release();
                }
            }
            _ => {
                Overrides::default().apply(data)?;
                self.global.push(data);
            }
        }
        self.phase = Phase::Padding;
        Ok(())
    }

    /// Reports the entry in the current block; returns how many data bytes follow it.
    fn entry(&mut self, flag: u8, size: u64) -> Res<u64> {
        let block = &self.block;
        let empty = Buf::new();
        let pax_records = self.pax.as_ref().unwrap_or(&empty).as_slice();
        let mut ov = Overrides::default();
        ov.apply(self.global.as_slice())?;
        ov.apply(pax_records)?;

        let name = hdr::name(block);
        let kind = match flag {
            b'0' | b'7' => KIND_FILE,
            0 if name.ends_with(b"/") => KIND_DIR,
            0 => KIND_FILE,
            b'1' => KIND_HARDLINK,
            b'2' => KIND_SYMLINK,
            b'3' => KIND_CHAR,
            b'4' => KIND_BLOCK,
            b'5' => KIND_DIR,
            b'6' => KIND_FIFO,
            other => return Err(Fail::Type(other)),
        };
        let out = &mut self.out;
        let path = if let Some(p) = ov.path {
            out.text(p)
        } else if let Some(long) = &self.long_name {
            out.text(long.as_slice())
        } else {
            let prefix = hdr::prefix(block);
            if prefix.is_empty() {
                out.text(name)
            } else {
                let mut joined = Buf::new();
                joined.push(prefix);
                joined.push_byte(b'/');
                joined.push(name);
                let s = out.text(joined.as_slice());
                joined.release();
                s
            }
        };
        let linkname = match (ov.linkpath, &self.long_link) {
            (Some(l), _) => out.text(l),
            (None, Some(long)) => out.text(long.as_slice()),
            (None, None) => out.text(hdr::linkname(block)),
        };
        let uname = out.text(ov.uname.unwrap_or_else(|| hdr::uname(block)));
        let gname = out.text(ov.gname.unwrap_or_else(|| hdr::gname(block)));
        let uid = match ov.uid { Some(v) => v, None => non_negative(hdr::uid(block)?)? };
        let gid = match ov.gid { Some(v) => v, None => non_negative(hdr::gid(block)?)? };
        let mtime = match ov.mtime { Some(v) => v, None => hdr::mtime(block)? as f64 };
        let (devmajor, devminor) = if kind == KIND_CHAR || kind == KIND_BLOCK {
            (device(hdr::devmajor(block)?)?, device(hdr::devminor(block)?)?)
        } else {
            (0, 0)
        };
        let data = if kind == KIND_FILE { ov.size.unwrap_or(size) } else { 0 };
        let mode = (hdr::mode(block)? & 0o7777) as u32;

        let first_xattr = out.xattr_count();
        let global = self.global.as_slice();
        for (records, later) in [(global, pax_records), (pax_records, &b""[..])] {
            let mut index = 0;
            pax::each(records, |key, value| {
                index += 1;
                if let Some(attr) = key.strip_prefix(XATTR) {
                    if !pax::xattr_set_after(records, index, attr) && !pax::xattr_set_after(later, 0, attr) {
                        out.xattr(attr, value);
                    }
                }
                Ok(())
            })?;
        }
        let header = Header {
            path,
            kind,
            mode,
            uid,
            gid,
            uname,
            gname,
            size: data,
            mtime,
            linkname,
            devmajor,
            devminor,
            xattrs: Str::EMPTY,
        };
        out.entry(header, first_xattr);
        for slot in [&mut self.long_name, &mut self.long_link, &mut self.pax] {
            if let Some(mut buf) = slot.take() {
                buf.release();
            }
        }
        Ok(data)
    }
}

fn non_negative(v: i64) -> Res<u64> {
    if v < 0 { Err(BAD_HEADER) } else { Ok(v as u64) }
}

fn device(v: i64) -> Res<u32> {
    if v < 0 || v > u32::MAX as i64 { Err(BAD_HEADER) } else { Ok(v as u32) }
}
