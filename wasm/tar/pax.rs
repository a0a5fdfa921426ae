// PAX extended header records: "<len> <key>=<value>\n", len counting itself.

use crate::header::{Fail, Res};

pub const BAD_PAX: Fail = Fail::Msg("archive/tar: invalid PAX record");
pub const XATTR: &[u8] = b"SCHILY.xattr.";

/// Calls `f(key, value)` for each record, in order; fails on a malformed one.
pub fn each<'a>(mut rest: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8]) -> Res<()>) -> Res<()> {
    while !rest.is_empty() {
        // GNU tar pads the data with NULs; a record never starts with one.
        if rest[0] == 0 {
            if rest.iter().all(|&b| b == 0) {
                return Ok(());
            }
            return Err(BAD_PAX);
        }
        let space = rest.iter().position(|&b| b == b' ').ok_or(BAD_PAX)?;
        let len = decimal(&rest[..space]).ok_or(BAD_PAX)? as usize;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(BAD_PAX);
        }
        let record = &rest[space + 1..len - 1];
        let eq = record.iter().position(|&b| b == b'=').ok_or(BAD_PAX)?;
        if eq == 0 {
            return Err(BAD_PAX);
        }
        f(&record[..eq], &record[eq + 1..])?;
        rest = &rest[len..];
    }
    Ok(())
}

/// Plain non-negative decimal (no sign, no spaces); None if not one.
pub fn decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    let mut x: u64 = 0;
    for &d in text {
        if !d.is_ascii_digit() {
            return None;
        }
        x = x * 10 + (d - b'0') as u64;
    }
    Some(x)
}

/// A PAX time: optional '-', digits, optional '.' and digits; parsed to the nearest f64.
pub fn time(text: &[u8]) -> Option<f64> {
    let body = text.strip_prefix(b"-").unwrap_or(text);
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => (&body[..dot], &body[dot + 1..]),
        None => (body, &b""[..]),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

/// The values the records of one extended header (or all global ones) set.
#[derive(Default)]
pub struct Overrides<'a> {
    pub path: Option<&'a [u8]>,
    pub linkpath: Option<&'a [u8]>,
    pub size: Option<u64>,
    pub mtime: Option<f64>,
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    pub uname: Option<&'a [u8]>,
    pub gname: Option<&'a [u8]>,
}

impl<'a> Overrides<'a> {
    /// Applies `records` on top of what is already set; an empty value unsets a key.
    pub fn apply(&mut self, records: &'a [u8]) -> Res<()> {
        each(records, |key, value| {
            let empty = value.is_empty();
            match key {
                b"path" => self.path = if empty { None } else { Some(value) },
                b"linkpath" => self.linkpath = if empty { None } else { Some(value) },
                b"uname" => self.uname = if empty { None } else { Some(value) },
                b"gname" => self.gname = if empty { None } else { Some(value) },
                b"size" => self.size = if empty { None } else { Some(decimal(value).ok_or(BAD_PAX)?) },
                b"uid" => self.uid = if empty { None } else { Some(decimal(value).ok_or(BAD_PAX)?) },
                b"gid" => self.gid = if empty { None } else { Some(decimal(value).ok_or(BAD_PAX)?) },
                b"mtime" => self.mtime = if empty { None } else { Some(time(value).ok_or(BAD_PAX)?) },
                _ if key.starts_with(b"GNU.sparse.") => {
                    return Err(Fail::Msg("archive/tar: sparse files are not supported"))
                }
                _ => {}
            }
            Ok(())
        })
    }
}

/// True if a record numbered above `after_record` (1-based) in `records` sets xattr `name`.
pub fn xattr_set_after(records: &[u8], after_record: usize, name: &[u8]) -> bool {
    let mut offset = 0;
    let mut found = false;
    let _ = each(records, |key, _| {
        offset += 1;
        if offset > after_record && key.len() == XATTR.len() + name.len() && key.starts_with(XATTR) && &key[XATTR.len()..] == name {
            found = true;
        }
        Ok(())
    });
    found
}
