// Writing tar headers: a ustar block, preceded by a PAX extended header when a
// value does not fit (long or non-ASCII names, big numbers, fractional times,
// xattrs). A value that goes into a PAX record leaves its ustar field empty
// (0 for numbers), as the TypeScript encoder does.

use crate::abi::*;
use crate::buf::Buf;
use crate::header::{Fail, Res, BLOCK};
use core::fmt::Write;

const MAX_OCTAL_7: u64 = 0o7777777;
const MAX_OCTAL_11: u64 = 0o77777777777;

struct Block([u8; BLOCK]);

impl Block {
    fn bytes(&mut self, at: usize, width: usize, value: &[u8]) {
        let n = value.len().min(width);
        self.0[at..at + n].copy_from_slice(&value[..n]);
    }

    /// Zero-padded octal with a trailing NUL, filling the field.
    fn octal(&mut self, at: usize, width: usize, mut value: u64) {
        self.0[at + width - 1] = 0;
        for i in (0..width - 1).rev() {
            self.0[at + i] = b'0' + (value & 7) as u8;
            value >>= 3;
        }
    }

    fn seal(&mut self) {
        self.0[148..156].fill(b' ');
        let sum: u64 = self.0.iter().map(|&b| b as u64).sum();
        self.octal(148, 7, sum);
        self.0[155] = b' ';
    }
}

fn ustar(name: &[u8], prefix: &[u8], flag: u8, size: u64) -> Block {
    let mut b = Block([0; BLOCK]);
    b.bytes(0, 100, name);
    b.octal(124, 12, size);
    b.0[156] = flag;
    b.bytes(257, 8, b"ustar\x0000");
    b.bytes(345, 155, prefix);
    b
}

/// Splits a path into ustar (prefix, name) the way GNU tar and Go do.
fn split(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= 100 {
        return Some((&[], path));
    }
    let mut limit = path.len().min(156);
    if limit == path.len() && path[limit - 1] == b'/' {
        limit -= 1;
    }
    let slash = path[..limit].iter().rposition(|&b| b == b'/')?;
    let (prefix, name) = (&path[..slash], &path[slash + 1..]);
    if slash == 0 || name.is_empty() || name.len() > 100 || prefix.len() > 155 {
        return None;
    }
    Some((prefix, name))
}

fn record(pax: &mut Buf, key: &[u8], value: &[u8]) {
    let base = key.len() + value.len() + 3;
    let mut len = base + digits(base);
    if digits(len) > digits(base) {
        len += 1;
    }
    let _ = write!(BufWriter(pax), "{} ", len);
    pax.push(key);
    pax.push_byte(b'=');
    pax.push(value);
    pax.push_byte(b'\n');
}

fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

struct BufWriter<'a>(&'a mut Buf);
impl Write for BufWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.push(s.as_bytes());
        Ok(())
    }
}

fn number(pax: &mut Buf, key: &[u8], value: u64, max: u64) -> u64 {
    if value <= max {
        return value;
    }
    let mut text = Buf::new();
    let _ = write!(BufWriter(&mut text), "{}", value);
    record(pax, key, text.as_slice());
    text.release();
    0
}

/// Appends the header block(s) for `h` to `out`.
pub unsafe fn encode(h: &Header, out: &mut Buf) -> Res<()> {
    let path = h.path.bytes();
    let link = h.linkname.bytes();
    let (flag, size) = match h.kind {
        KIND_FILE => (b'0', h.size),
        KIND_DIR => (b'5', 0),
        KIND_SYMLINK => (b'2', 0),
        KIND_HARDLINK => (b'1', 0),
        KIND_CHAR => (b'3', 0),
        KIND_BLOCK => (b'4', 0),
        KIND_FIFO => (b'6', 0),
        _ => return Err(Fail::Msg("unknown entry kind")),
    };
    if path.is_empty() {
        return Err(Fail::Msg("archive/tar: empty path"));
    }
    let (uname, gname) = (h.uname.bytes(), h.gname.bytes());
    if [path, link, uname, gname].iter().any(|s| s.contains(&0)) {
        return Err(Fail::Msg("archive/tar: header field contains a NUL byte"));
    }
    let mut pax = Buf::new();
    let (prefix, name) = match split(path) {
        Some(parts) if path.is_ascii() => parts,
        _ => {
            record(&mut pax, b"path", path);
            (&b""[..], &b""[..])
        }
    };
    let link = if link.len() > 100 || !link.is_ascii() {
        record(&mut pax, b"linkpath", link);
        &b""[..]
    } else {
        link
    };
    let size = number(&mut pax, b"size", size, MAX_OCTAL_11);
    let uid = number(&mut pax, b"uid", h.uid, MAX_OCTAL_7);
    let gid = number(&mut pax, b"gid", h.gid, MAX_OCTAL_7);
    let mut owner_name = |key: &[u8], value: &'static [u8]| {
        if value.len() > 32 || !value.is_ascii() {
            record(&mut pax, key, value);
            &b""[..]
        } else {
            value
        }
    };
    let (uname, gname) = (owner_name(b"uname", uname), owner_name(b"gname", gname));
    let mtime = h.mtime;
    if !mtime.is_finite() {
        return Err(Fail::Msg("archive/tar: invalid mtime"));
    }
    let whole = if mtime >= 0.0 && mtime <= MAX_OCTAL_11 as f64 && (mtime as u64) as f64 == mtime {
        mtime as u64
    } else {
        let mut text = Buf::new();
        let _ = write!(BufWriter(&mut text), "{}", mtime);
        record(&mut pax, b"mtime", text.as_slice());
        text.release();
        if mtime >= 0.0 && mtime <= MAX_OCTAL_11 as f64 { mtime as u64 } else { 0 }
    };
    let xattrs = core::slice::from_raw_parts(h.xattrs.ptr as *const Xattr, h.xattrs.len);
    for x in xattrs {
        let mut key = Buf::new();
        key.push(crate::pax::XATTR);
        key.push(x.name.bytes());
        record(&mut pax, key.as_slice(), x.value.bytes());
        key.release();
    }
    if h.devmajor as u64 > MAX_OCTAL_7 || h.devminor as u64 > MAX_OCTAL_7 {
        return Err(Fail::Msg("archive/tar: device number too large"));
    }

    if pax.len() > 0 {
        let mut pax_path = pax_name(path);
        let mut b = ustar(pax_path.as_slice(), &[], b'x', pax.len() as u64);
        pax_path.release();
        b.octal(100, 8, 0o644);
        b.octal(108, 8, 0);
        b.octal(116, 8, 0);
        b.octal(136, 12, whole);
        b.seal();
        out.push(&b.0);
        out.push(pax.as_slice());
        out.push_zeros((BLOCK - pax.len() % BLOCK) % BLOCK);
    }
    pax.release();

    let mut b = ustar(name, prefix, flag, size);
    b.octal(100, 8, (h.mode & 0o7777) as u64);
    b.octal(108, 8, uid);
    b.octal(116, 8, gid);
    b.octal(136, 12, whole);
    b.bytes(157, 100, link);
    b.bytes(265, 32, uname);
    b.bytes(297, 32, gname);
    b.octal(329, 8, h.devmajor as u64);
    b.octal(337, 8, h.devminor as u64);
    b.seal();
    out.push(&b.0);
    Ok(())
}

/// The PAX header's own name: "PaxHeaders/<base name>", cut to the name field
/// (the same as the TypeScript encoder, so both write identical bytes).
fn pax_name(path: &[u8]) -> Buf {
    let mut end = path.len();
    while end > 0 && path[end - 1] == b'/' {
        end -= 1;
    }
    let trimmed = &path[..end];
    let base = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    let mut name = Buf::new();
    name.push(b"PaxHeaders/");
    name.push(if base.is_empty() { &b"root"[..] } else { base });
    let keep = name.len().min(100);
    let mut cut = Buf::new();
    cut.push(&name.as_slice()[..keep]);
    name.release();
    cut
}
