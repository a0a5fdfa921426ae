// The tar component's core module: the canonical ABI of world.wit by hand.
// Walkers live on the heap; a handle is a walker's address, checked by a tag.
// Results are returned through one static return area, so the host must read
// a result before the next call (the canonical ABI guarantees it).
#![no_std]

#[path = "../common/buf.rs"]
mod buf;
#[path = "../common/heap.rs"]
mod heap;
mod abi;
mod encode;
mod header;
mod out;
mod pax;
mod walker;

use abi::{Header, ResultRet, Str, Xattr};
use buf::Buf;
use core::arch::wasm32;
use core::fmt::Write;
use header::Fail;
use walker::Walker;

const TAG: u32 = 0x5441_5221; // "TAR!"
const FREED: u32 = 0xdead_0000;

#[repr(C)]
struct Handle {
    tag: u32,
    error: Option<Str>,
    walker: Walker,
}

static mut RET: ResultRet = ResultRet { is_err: 0, payload: Str::EMPTY };
/// Bytes of the last encode-header result or of an error message.
static mut SCRATCH: Buf = Buf::new();

unsafe fn handle(id: u32) -> &'static mut Handle {
    let h = id as usize as *mut Handle;
    if h.is_null() || (*h).tag != TAG {
        wasm32::unreachable();
    }
    &mut *h
}

struct Writer<'a>(&'a mut Buf);
impl Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.push(s.as_bytes());
        Ok(())
    }
}

fn message(fail: &Fail, into: &mut Buf) {
    into.clear();
    let _ = match fail {
        Fail::Msg(m) => write!(Writer(into), "{}", m),
        // Docker's words for a type flag it cannot apply.
        Fail::Type(t) => write!(Writer(into), "unhandled tar header type {}", t),
    };
}

unsafe fn ok(payload: Str) -> *const ResultRet {
    RET = ResultRet { is_err: 0, payload };
    &RET
}

unsafe fn err(fail: &Fail) -> *const ResultRet {
    message(fail, &mut SCRATCH);
    RET = ResultRet { is_err: 1, payload: Str { ptr: SCRATCH.ptr() as usize, len: SCRATCH.len() } };
    &RET
}

#[export_name = "walker-new"]
pub unsafe extern "C" fn walker_new() -> u32 {
    let h = heap::alloc(core::mem::size_of::<Handle>()) as *mut Handle;
    h.write(Handle { tag: TAG, error: None, walker: Walker::new() });
    h as usize as u32
}

#[export_name = "walker-push"]
pub unsafe extern "C" fn walker_push(id: u32, ptr: *mut u8, len: usize) -> *const ResultRet {
    let h = handle(id);
    let result = match h.error {
        Some(_) => None,
        None => {
            h.walker.out.clear();
            let chunk = if len == 0 { &[][..] } else { core::slice::from_raw_parts(ptr, len) };
            h.walker.push(chunk).err()
        }
    };
    if len > 0 {
        heap::free(ptr);
    }
    if let Some(fail) = result {
        h.walker.out.clear();
        message(&fail, &mut SCRATCH);
        h.error = Some(h.walker.out.raw(SCRATCH.as_slice()));
    }
    match h.error {
        Some(e) => {
            RET = ResultRet { is_err: 1, payload: h.walker.out.address(e) };
            &RET
        }
        None => ok(h.walker.out.seal()),
    }
}

/// Nothing to free: the events live in the walker's buffers until its next push.
#[export_name = "cabi_post_walker-push"]
pub unsafe extern "C" fn post_walker_push(_ret: *const ResultRet) {}

#[export_name = "walker-finish"]
pub unsafe extern "C" fn walker_finish(id: u32) -> *const ResultRet {
    let h = handle(id);
    if let Some(e) = h.error {
        RET = ResultRet { is_err: 1, payload: h.walker.out.address(e) };
        return &RET;
    }
    match h.walker.finish() {
        Ok(()) => ok(Str::EMPTY),
        Err(fail) => err(&fail),
    }
}

#[export_name = "walker-drop"]
pub unsafe extern "C" fn walker_drop(id: u32) {
    let h = handle(id);
    h.walker.release();
    h.tag = FREED;
    heap::free(h as *mut Handle as *mut u8);
}

/// `entry` has more than 16 flat values, so the host passes it in memory,
/// allocated with cabi_realloc; the record and its lists are ours to free.
#[export_name = "encode-header"]
pub unsafe extern "C" fn encode_header(entry: *mut Header) -> *const ResultRet {
    let h = &*entry;
    SCRATCH.clear();
    let result = encode::encode(h, &mut SCRATCH);
    free_header(entry);
    match result {
        Ok(()) => ok(Str { ptr: SCRATCH.ptr() as usize, len: SCRATCH.len() }),
        Err(fail) => err(&fail),
    }
}

#[export_name = "cabi_post_encode-header"]
pub unsafe extern "C" fn post_encode_header(_ret: *const ResultRet) {
    // Keep the scratch buffer for the next header unless one was huge.
    if SCRATCH.len() > 1 << 20 {
        SCRATCH.release();
    }
}

unsafe fn free_str(s: Str) {
    if s.len > 0 {
        heap::free(s.ptr as *mut u8);
    }
}

unsafe fn free_header(entry: *mut Header) {
    let h = &*entry;
    for s in [h.path, h.uname, h.gname, h.linkname] {
        free_str(s);
    }
    let xattrs = core::slice::from_raw_parts(h.xattrs.ptr as *const Xattr, h.xattrs.len);
    for x in xattrs {
        free_str(x.name);
        free_str(x.value);
    }
    free_str(h.xattrs);
    heap::free(entry as *mut u8);
}
