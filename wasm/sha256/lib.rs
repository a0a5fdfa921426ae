// The sha256 component's core module: the canonical ABI of world.wit by hand.
// A handle is the address of a heap-allocated hasher with a tag word, so a
// stale or foreign handle traps instead of hashing into random memory.
#![no_std]

#[path = "../common/heap.rs"]
mod heap;
mod sha256;

use core::arch::wasm32;
use sha256::Sha256;

const TAG: u32 = 0x5348_4132; // "SHA2"
const FREED: u32 = 0xdead_0000;

#[repr(C)]
struct Hasher {
    tag: u32,
    inner: Sha256,
}

/// The return area of `finish`: list<u8> is returned as (ptr, len) in memory.
#[repr(C, align(8))]
pub struct ListRet {
    ptr: *const u8,
    len: usize,
    digest: [u8; 32],
}
static mut RET: ListRet = ListRet { ptr: core::ptr::null(), len: 0, digest: [0; 32] };

unsafe fn hasher(handle: u32) -> &'static mut Hasher {
    let h = handle as usize as *mut Hasher;
    if h.is_null() || (*h).tag != TAG {
        wasm32::unreachable();
    }
    &mut *h
}

#[export_name = "create"]
pub unsafe extern "C" fn create() -> u32 {
    let h = heap::alloc(core::mem::size_of::<Hasher>()) as *mut Hasher;
    h.write(Hasher { tag: TAG, inner: Sha256::new() });
    h as usize as u32
}

#[export_name = "update"]
pub unsafe extern "C" fn update(handle: u32, ptr: *mut u8, len: usize) {
    let data = core::slice::from_raw_parts(ptr, len);
    hasher(handle).inner.update(data);
    // The list was placed by cabi_realloc and is ours to free.
    if len > 0 {
        heap::free(ptr);
    }
}

#[export_name = "finish"]
pub unsafe extern "C" fn finish(handle: u32) -> *const ListRet {
    let h = hasher(handle);
    RET.digest = h.inner.finish();
    RET.ptr = RET.digest.as_ptr();
    RET.len = 32;
    h.tag = FREED;
    heap::free(h as *mut Hasher as *mut u8);
    &RET
}

/// Runs after the host has copied the digest out; nothing is left to free
/// because the digest lives in the static return area.
#[export_name = "cabi_post_finish"]
pub unsafe extern "C" fn post_finish(_ret: *const ListRet) {
    RET.len = 0;
}

#[export_name = "discard"]
pub unsafe extern "C" fn discard(handle: u32) {
    let h = hasher(handle);
    h.tag = FREED;
    heap::free(h as *mut Hasher as *mut u8);
}
