// Memory layouts of the WIT types in world.wit, as the canonical ABI lays
// them out (fields in order, each at its natural alignment). The const
// asserts pin the sizes the host expects.

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str {
    pub ptr: usize,
    pub len: usize,
}

impl Str {
    pub const EMPTY: Str = Str { ptr: 0, len: 0 };
    pub unsafe fn bytes<'a>(&self) -> &'a [u8] {
        if self.len == 0 { &[] } else { core::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

/// record header
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Header {
    pub path: Str,
    pub kind: u8,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: Str,
    pub gname: Str,
    pub size: u64,
    pub mtime: f64,
    pub linkname: Str,
    pub devmajor: u32,
    pub devminor: u32,
    pub xattrs: Str,
}

/// record xattr
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Xattr {
    pub name: Str,
    pub value: Str,
}

/// variant event { entry(header), data(tuple<u32, u32>), entry-end }
#[repr(C)]
pub struct Event {
    pub tag: u8,
    pub payload: Header,
}

pub const EVENT_ENTRY: u8 = 0;
pub const EVENT_DATA: u8 = 1;
pub const EVENT_END: u8 = 2;

/// enum entry-kind, in WIT order.
pub const KIND_FILE: u8 = 0;
pub const KIND_DIR: u8 = 1;
pub const KIND_SYMLINK: u8 = 2;
pub const KIND_HARDLINK: u8 = 3;
pub const KIND_CHAR: u8 = 4;
pub const KIND_BLOCK: u8 = 5;
pub const KIND_FIFO: u8 = 6;

/// The return area of result<list<T>, string> and result<_, string>:
/// discriminant byte, then (ptr, len) at offset 4.
#[repr(C)]
pub struct ResultRet {
    pub is_err: u8,
    pub payload: Str,
}

const _: () = assert!(core::mem::size_of::<Header>() == 88 && core::mem::align_of::<Header>() == 8);
const _: () = assert!(core::mem::size_of::<Event>() == 96);
const _: () = assert!(core::mem::size_of::<Xattr>() == 16);
const _: () = assert!(core::mem::size_of::<ResultRet>() == 12);
