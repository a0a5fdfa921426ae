// A growable byte buffer on top of heap.rs (what Vec<u8> would be with `alloc`).

use crate::heap;

pub struct Buf {
    ptr: *mut u8,
    len: usize,
}

impl Buf {
    pub const fn new() -> Buf {
        Buf { ptr: core::ptr::null_mut(), len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Makes room for `extra` more bytes, growing at least 2x to keep appends linear.
    pub fn reserve(&mut self, extra: usize) {
        let need = self.len + extra;
        unsafe {
            let cap = if self.ptr.is_null() { 0 } else { heap::capacity(self.ptr) };
            if need > cap {
                let want = need.max(cap * 2).max(64);
                self.ptr = heap::realloc(self.ptr, self.len, want);
            }
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(self.len), bytes.len()) };
        self.len += bytes.len();
    }

    pub fn push_byte(&mut self, byte: u8) {
        self.push(&[byte]);
    }

    /// Appends `n` zero bytes and returns their offset.
    pub fn push_zeros(&mut self, n: usize) -> usize {
        self.reserve(n);
        let at = self.len;
        unsafe { core::ptr::write_bytes(self.ptr.add(at), 0, n) };
        self.len += n;
        at
    }

    pub fn as_slice(&self) -> &[u8] {
        if self.ptr.is_null() {
            &[]
        } else {
            unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
        }
    }


    /// Gives the memory back (for buffers that grew large once).
    pub fn release(&mut self) {
        unsafe { heap::free(self.ptr) };
        self.ptr = core::ptr::null_mut();
        self.len = 0;
    }
}
