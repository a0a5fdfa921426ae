// A small size-class allocator for the WASM modules (no crates, no `alloc`).
// Every block is 2^class bytes with an 8-byte header that records the class;
// freed blocks go on a per-class free list and are reused. Memory comes from
// memory.grow and is never given back, which suits long-lived instances that
// see the same chunk sizes again and again.

use core::arch::wasm32;

const HEADER: usize = 8;
const MIN_CLASS: usize = 4;
const MAX_CLASS: usize = 31;

static mut FREE: [usize; MAX_CLASS + 1] = [0; MAX_CLASS + 1];
static mut TOP: usize = 0;
static mut END: usize = 0;

fn class_for(size: usize) -> usize {
    let need = size + HEADER;
    let class = (usize::BITS - (need - 1).leading_zeros()) as usize;
    if class < MIN_CLASS {
        MIN_CLASS
    } else {
        class
    }
}

/// Usable bytes of the block that holds `ptr`.
pub unsafe fn capacity(ptr: *mut u8) -> usize {
    let class = *(ptr.sub(HEADER) as *const usize);
    (1usize << class) - HEADER
}

/// Allocates `size` bytes aligned to 8; traps when memory runs out.
pub unsafe fn alloc(size: usize) -> *mut u8 {
    if size > (1usize << MAX_CLASS) - HEADER {
        wasm32::unreachable();
    }
    let class = class_for(size);
    let block = if FREE[class] != 0 {
        let block = FREE[class];
        FREE[class] = *(block as *const usize);
        block
    } else {
        bump(1usize << class)
    };
    *(block as *mut usize) = class;
    (block + HEADER) as *mut u8
}

unsafe fn bump(bytes: usize) -> usize {
    if TOP == 0 {
        TOP = wasm32::memory_size(0) * 65536;
        END = TOP;
    }
    if END - TOP < bytes {
        let pages = (bytes - (END - TOP) + 65535) / 65536;
        if wasm32::memory_grow(0, pages) == usize::MAX {
            wasm32::unreachable();
        }
        END += pages * 65536;
    }
    let block = TOP;
    TOP += bytes;
    block
}

/// Frees a block from `alloc`; null is ignored.
pub unsafe fn free(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    let block = ptr.sub(HEADER) as usize;
    let class = *(block as *const usize);
    *(block as *mut usize) = FREE[class];
    FREE[class] = block;
}

/// Grows or shrinks a block, keeping the first `old_size` bytes.
pub unsafe fn realloc(ptr: *mut u8, old_size: usize, new_size: usize) -> *mut u8 {
    if ptr.is_null() {
        return alloc(new_size);
    }
    if new_size <= capacity(ptr) {
        return ptr;
    }
    let fresh = alloc(new_size);
    core::ptr::copy_nonoverlapping(ptr, fresh, old_size.min(new_size));
    free(ptr);
    fresh
}

/// The canonical ABI's allocator: the host calls it to place arguments.
/// Alignment above 8 is never asked for by our WIT types.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(ptr: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    if align > HEADER {
        wasm32::unreachable();
    }
    // Empty lists and strings get a dangling aligned address and are never freed
    // (the exports skip freeing zero-length arguments).
    if ptr.is_null() && new_size == 0 {
        return HEADER as *mut u8;
    }
    realloc(ptr, old_size, new_size)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}
