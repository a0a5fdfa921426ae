// Reading the fields of one 512-byte tar header block (V7, ustar, GNU, star).

pub const BLOCK: usize = 512;

pub enum Fail {
    /// A message in Docker's (Go archive/tar's) words where it has them.
    Msg(&'static str),
    /// A type flag that no layer may hold.
    Type(u8),
}

pub type Res<T> = Result<T, Fail>;

pub const BAD_HEADER: Fail = Fail::Msg("archive/tar: invalid tar header");

/// Bytes of a NUL-terminated (or full-width) string field.
pub fn cstr(field: &[u8]) -> &[u8] {
    match field.iter().position(|&b| b == 0) {
        Some(end) => &field[..end],
        None => field,
    }
}

/// An octal or base-256 (GNU) numeric field, as Go's archive/tar reads it.
pub fn numeric(field: &[u8]) -> Res<i64> {
    if !field.is_empty() && field[0] & 0x80 != 0 {
        let inv: u8 = if field[0] & 0x40 != 0 { 0xff } else { 0 };
        let mut x: u64 = 0;
        for (i, &byte) in field.iter().enumerate() {
            let mut c = byte ^ inv;
            if i == 0 {
                c &= 0x7f;
            }
            if x >> 56 != 0 {
                return Err(BAD_HEADER);
            }
            x = x << 8 | c as u64;
        }
        if x >> 63 != 0 {
            return Err(BAD_HEADER);
        }
        return Ok(if inv == 0xff { !(x as i64) } else { x as i64 });
    }
    octal(field)
}

fn octal(field: &[u8]) -> Res<i64> {
    let mut start = 0;
    let mut end = field.len();
    while start < end && (field[start] == b' ' || field[start] == 0) {
        start += 1;
    }
    while end > start && (field[end - 1] == b' ' || field[end - 1] == 0) {
        end -= 1;
    }
    let digits = cstr(&field[start..end]);
    let mut x: u64 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) || x >> 60 != 0 {
            return Err(BAD_HEADER);
        }
        x = x << 3 | (d - b'0') as u64;
    }
    if x >> 63 != 0 {
        return Err(BAD_HEADER);
    }
    Ok(x as i64)
}

pub fn is_zero(block: &[u8; BLOCK]) -> bool {
    block.iter().all(|&b| b == 0)
}

/// Checks the header checksum; both the unsigned and the (historic) signed sum are accepted.
pub fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let stored = match octal(&block[148..156]) {
        Ok(v) => v,
        Err(_) => return false,
    };
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as i64;
        signed += b as i8 as i64;
    }
    stored == unsigned || stored == signed
}

pub enum Format {
    V7,
    Ustar { star: bool },
    Gnu,
}

pub fn format(block: &[u8; BLOCK]) -> Format {
    let magic = &block[257..263];
    if magic == b"ustar\0" {
        Format::Ustar { star: &block[508..512] == b"tar\0" }
    } else if magic == b"ustar " && &block[263..265] == b" \0" {
        Format::Gnu
    } else {
        Format::V7
    }
}

pub fn typeflag(block: &[u8; BLOCK]) -> u8 {
    block[156]
}

/// The ustar prefix (empty for V7 and GNU headers).
pub fn prefix(block: &[u8; BLOCK]) -> &[u8] {
    match format(block) {
        Format::Ustar { star: false } => cstr(&block[345..500]),
        Format::Ustar { star: true } => cstr(&block[345..476]),
        _ => &[],
    }
}

pub fn name(block: &[u8; BLOCK]) -> &[u8] {
    cstr(&block[0..100])
}

pub fn linkname(block: &[u8; BLOCK]) -> &[u8] {
    cstr(&block[157..257])
}

pub fn has_owner_names(block: &[u8; BLOCK]) -> bool {
    !matches!(format(block), Format::V7)
}

pub fn uname(block: &[u8; BLOCK]) -> &[u8] {
    if has_owner_names(block) { cstr(&block[265..297]) } else { &[] }
}

pub fn gname(block: &[u8; BLOCK]) -> &[u8] {
    if has_owner_names(block) { cstr(&block[297..329]) } else { &[] }
}

pub fn mode(block: &[u8; BLOCK]) -> Res<i64> {
    numeric(&block[100..108])
}
pub fn uid(block: &[u8; BLOCK]) -> Res<i64> {
    numeric(&block[108..116])
}
pub fn gid(block: &[u8; BLOCK]) -> Res<i64> {
    numeric(&block[116..124])
}
pub fn size(block: &[u8; BLOCK]) -> Res<i64> {
    numeric(&block[124..136])
}
pub fn mtime(block: &[u8; BLOCK]) -> Res<i64> {
    numeric(&block[136..148])
}
pub fn devmajor(block: &[u8; BLOCK]) -> Res<i64> {
    if has_owner_names(block) { numeric(&block[329..337]) } else { Ok(0) }
}
pub fn devminor(block: &[u8; BLOCK]) -> Res<i64> {
    if has_owner_names(block) { numeric(&block[337..345]) } else { Ok(0) }
}
