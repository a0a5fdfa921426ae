// The list<event> a push returns, built in three growable buffers (events,
// xattrs, string bytes). While building, every pointer is an offset into its
// buffer; `seal` turns offsets into addresses once nothing moves any more.

use crate::abi::{Event, Header, Str, Xattr, EVENT_DATA, EVENT_END, EVENT_ENTRY};
use crate::buf::Buf;
use core::mem::size_of;

pub struct Out {
    events: Buf,
    xattrs: Buf,
    bytes: Buf,
}

impl Out {
    pub const fn new() -> Out {
        Out { events: Buf::new(), xattrs: Buf::new(), bytes: Buf::new() }
    }

    pub fn clear(&mut self) {
        // A burst of huge names should not pin memory for the rest of the stream.
        for buf in [&mut self.events, &mut self.xattrs, &mut self.bytes] {
            if buf.len() > 4 << 20 {
                buf.release();
            }
            buf.clear();
        }
    }

    /// Raw bytes (xattr values, error messages).
    pub fn raw(&mut self, bytes: &[u8]) -> Str {
        let at = self.bytes.len();
        self.bytes.push(bytes);
        Str { ptr: at, len: bytes.len() }
    }

    /// A WIT string: invalid UTF-8 becomes U+FFFD per maximal subpart, as TextDecoder does.
    pub fn text(&mut self, mut bytes: &[u8]) -> Str {
        let at = self.bytes.len();
        loop {
            match core::str::from_utf8(bytes) {
                Ok(_) => {
                    self.bytes.push(bytes);
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    self.bytes.push(&bytes[..good]);
                    self.bytes.push("\u{FFFD}".as_bytes());
                    match e.error_len() {
                        Some(bad) => bytes = &bytes[good + bad..],
                        None => break,
                    }
                }
            }
        }
        Str { ptr: at, len: self.bytes.len() - at }
    }

    pub fn xattr_count(&self) -> usize {
        self.xattrs.len() / size_of::<Xattr>()
    }

    pub fn xattr(&mut self, name: &[u8], value: &[u8]) {
        let name = self.text(name);
        let value = self.raw(value);
        let at = self.xattrs.push_zeros(size_of::<Xattr>());
        unsafe { *(self.xattrs.ptr().add(at) as *mut Xattr) = Xattr { name, value } };
    }

    /// An entry whose xattrs are those pushed since `first_xattr` (an index).
    pub fn entry(&mut self, mut header: Header, first_xattr: usize) {
        header.xattrs = Str { ptr: first_xattr, len: self.xattr_count() - first_xattr };
        let event = self.event(EVENT_ENTRY);
        event.payload = header;
    }

    pub fn data(&mut self, offset: usize, len: usize) {
        let event = self.event(EVENT_DATA);
        let range = &mut event.payload as *mut Header as *mut [u32; 2];
        unsafe { *range = [offset as u32, len as u32] };
    }

    pub fn end(&mut self) {
        self.event(EVENT_END);
    }

    fn event(&mut self, tag: u8) -> &mut Event {
        let at = self.events.push_zeros(size_of::<Event>());
        let event = unsafe { &mut *(self.events.ptr().add(at) as *mut Event) };
        event.tag = tag;
        event
    }

    /// Resolves offsets to addresses; returns the list<event> (address, count).
    pub fn seal(&mut self) -> Str {
        let bytes = self.bytes.ptr() as usize;
        let fix = |s: &mut Str| s.ptr += bytes;
        let xattr_base = self.xattrs.ptr() as usize;
        for xattr in cast::<Xattr>(&mut self.xattrs) {
            fix(&mut xattr.name);
            fix(&mut xattr.value);
        }
        for event in cast::<Event>(&mut self.events) {
            if event.tag == EVENT_ENTRY {
                let h = &mut event.payload;
                for s in [&mut h.path, &mut h.uname, &mut h.gname, &mut h.linkname] {
                    fix(s);
                }
                h.xattrs.ptr = xattr_base + h.xattrs.ptr * size_of::<Xattr>();
            }
        }
        Str { ptr: self.events.ptr() as usize, len: self.events.len() / size_of::<Event>() }
    }

    /// The address of a raw string pushed with `raw` (for results that carry one string).
    pub fn address(&self, s: Str) -> Str {
        Str { ptr: self.bytes.ptr() as usize + s.ptr, len: s.len }
    }
}

fn cast<T>(buf: &mut Buf) -> &mut [T] {
    let n = buf.len() / size_of::<T>();
    if n == 0 {
        return &mut [];
    }
    unsafe { core::slice::from_raw_parts_mut(buf.ptr() as *mut T, n) }
}
