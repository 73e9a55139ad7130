//! PyTorch's `.pth` format, as `torch.save(model.state_dict())` writes it and
//! `torch.load(path, weights_only=True)` reads it: a zip archive (entries stored, not
//! compressed, aligned to 64 bytes) under one folder, `archive/`, holding
//!
//! - `data.pkl`: the state dict pickled (protocol 2) as a `collections.OrderedDict` of tensors,
//!   each `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
//!   backward_hooks)` with the storage a persistent id `("storage", torch.FloatStorage, "N",
//!   "cpu", numel)`;
//! - `data/N`: storage N's elements, little-endian;
//! - `version` (`3`), `.format_version` (`1`), `.storage_alignment` (`64`) and `byteorder`
//!   (`little`), as PyTorch 2.x writes them.
//!
//! Only the opcodes PyTorch's own pickler emits for a state dict are used, so the
//! `weights_only` unpickler (which allows a fixed list of globals and opcodes) accepts it.
//! No crate writes this format (burn and candle read it; tch needs LibTorch), hence this file.

use std::io::{self, Cursor, Write};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::state_dict::{StateTensor, Values};

/// The folder every entry sits in (PyTorch takes whatever single folder it finds).
const ROOT: &str = "archive";

/// The `.pth` file's bytes for `tensors`, in their order.
pub fn to_bytes(tensors: &[StateTensor]) -> io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .with_alignment(64);
    let mut entry = |name: &str, bytes: &[u8]| -> io::Result<()> {
        zip.start_file(format!("{ROOT}/{name}"), options)
            .map_err(io::Error::other)?;
        zip.write_all(bytes)
    };
    entry("data.pkl", &pickle_state_dict(tensors))?;
    entry(".format_version", b"1")?;
    entry(".storage_alignment", b"64")?;
    entry("byteorder", b"little")?;
    for (i, tensor) in tensors.iter().enumerate() {
        entry(&format!("data/{i}"), &tensor.values.to_le_bytes())?;
    }
    entry("version", b"3\n")?;
    Ok(zip.finish().map_err(io::Error::other)?.into_inner())
}

/// The pickle of an `OrderedDict` of `tensors`, tensor `i` in storage `"i"`.
pub fn pickle_state_dict(tensors: &[StateTensor]) -> Vec<u8> {
    let mut p = Pickler::default();
    p.op(PROTO);
    p.op(2);
    p.global("collections", "OrderedDict");
    p.op(EMPTY_TUPLE);
    p.op(REDUCE);
    p.op(MARK);
    for (i, tensor) in tensors.iter().enumerate() {
        p.unicode(&tensor.key);
        p.tensor(i, tensor);
    }
    p.op(SETITEMS);
    p.op(STOP);
    p.out
}

// The pickle opcodes used (Python's `pickletools` names).
const PROTO: u8 = 0x80;
const GLOBAL: u8 = b'c';
const MARK: u8 = b'(';
const TUPLE: u8 = b't';
const EMPTY_TUPLE: u8 = b')';
const REDUCE: u8 = b'R';
const BINPERSID: u8 = b'Q';
const BINUNICODE: u8 = b'X';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const BININT: u8 = b'J';
const LONG1: u8 = 0x8a;
const NEWFALSE: u8 = 0x89;
const SETITEMS: u8 = b'u';
const STOP: u8 = b'.';

#[derive(Default)]
struct Pickler {
    out: Vec<u8>,
}

impl Pickler {
    fn op(&mut self, byte: u8) {
        self.out.push(byte);
    }

    fn global(&mut self, module: &str, name: &str) {
        self.op(GLOBAL);
        self.out.extend_from_slice(module.as_bytes());
        self.op(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.op(b'\n');
    }

    fn unicode(&mut self, s: &str) {
        self.op(BINUNICODE);
        self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }

    /// A non-negative int in the shortest form PyTorch's pickler would use.
    fn int(&mut self, v: u64) {
        if v < 0x100 {
            self.op(BININT1);
            self.op(v as u8);
        } else if v < 0x1_0000 {
            self.op(BININT2);
            self.out.extend_from_slice(&(v as u16).to_le_bytes());
        } else if v <= i32::MAX as u64 {
            self.op(BININT);
            self.out.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            // Two's complement, little-endian, with a zero byte on top when the sign bit is set.
            let mut bytes = v.to_le_bytes().to_vec();
            while bytes.len() > 1 && bytes[bytes.len() - 1] == 0 && bytes[bytes.len() - 2] < 0x80 {
                bytes.pop();
            }
            if bytes[bytes.len() - 1] >= 0x80 {
                bytes.push(0);
            }
            self.op(LONG1);
            self.op(bytes.len() as u8);
            self.out.extend_from_slice(&bytes);
        }
    }

    fn int_tuple(&mut self, values: &[usize]) {
        if values.is_empty() {
            self.op(EMPTY_TUPLE);
            return;
        }
        self.op(MARK);
        for &v in values {
            self.int(v as u64);
        }
        self.op(TUPLE);
    }

    /// `_rebuild_tensor_v2(storage, 0, shape, contiguous strides, False, OrderedDict())`.
    fn tensor(&mut self, index: usize, tensor: &StateTensor) {
        let storage = match tensor.values {
            Values::F32(_) => "FloatStorage",
            Values::I64(_) => "LongStorage",
        };
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.op(MARK);
        // The persistent id: ("storage", torch.<Type>Storage, key, location, numel).
        self.op(MARK);
        self.unicode("storage");
        self.global("torch", storage);
        self.unicode(&index.to_string());
        self.unicode("cpu");
        self.int(tensor.values.len() as u64);
        self.op(TUPLE);
        self.op(BINPERSID);
        self.int(0);
        self.int_tuple(&tensor.shape);
        self.int_tuple(&contiguous_strides(&tensor.shape));
        self.op(NEWFALSE);
        self.global("collections", "OrderedDict");
        self.op(EMPTY_TUPLE);
        self.op(REDUCE);
        self.op(TUPLE);
        self.op(REDUCE);
    }
}

/// Row-major strides in elements: `[2, 3, 4]` -> `[12, 4, 1]`.
fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(key: &str, shape: &[usize], values: Values) -> StateTensor {
        StateTensor {
            key: key.into(),
            shape: shape.to_vec(),
            values,
        }
    }

    #[test]
    fn strides_are_row_major() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[5]), vec![1]);
        assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
    }

    #[test]
    fn ints_take_the_shortest_opcode() {
        let pickled = |v: u64| {
            let mut p = Pickler::default();
            p.int(v);
            p.out
        };
        assert_eq!(pickled(6), vec![BININT1, 6]);
        assert_eq!(pickled(300), vec![BININT2, 0x2c, 0x01]);
        assert_eq!(pickled(70_000), vec![BININT, 0x70, 0x11, 0x01, 0x00]);
        // 2^31 needs a fifth byte to stay positive: 00 00 00 80 00.
        assert_eq!(
            pickled(1 << 31),
            vec![LONG1, 5, 0x00, 0x00, 0x00, 0x80, 0x00]
        );
    }

    /// The bytes PyTorch 2.9's `torch.save(OrderedDict(w=torch.zeros(2, 3)))` pickles, with its
    /// memo opcodes (BINPUT/BINGET, which only save space) left out; `python -m pickletools`
    /// reads both the same.
    #[test]
    fn a_state_dict_pickles_as_pytorch_does() {
        let bytes = pickle_state_dict(&[tensor("w", &[2, 3], Values::F32(vec![0.0; 6]))]);
        let mut want: Vec<u8> = vec![PROTO, 2];
        want.extend(b"ccollections\nOrderedDict\n)R(");
        want.extend(b"X\x01\x00\x00\x00w");
        want.extend(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        want.extend(b"X\x07\x00\x00\x00storage");
        want.extend(b"ctorch\nFloatStorage\n");
        want.extend(b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x06tQ");
        want.extend(b"K\x00(K\x02K\x03t(K\x03K\x01t\x89");
        want.extend(b"ccollections\nOrderedDict\n)RtRu.");
        assert_eq!(bytes, want);
    }

    #[test]
    fn a_scalar_counter_is_a_long_storage_with_empty_size() {
        let bytes = pickle_state_dict(&[tensor("n", &[], Values::I64(vec![5]))]);
        let has = |part: &[u8]| bytes.windows(part.len()).any(|w| w == part);
        assert!(has(b"ctorch\nLongStorage\n"), "{bytes:?}");
        // offset 0, size (), stride (), requires_grad False
        assert!(
            has(&[BININT1, 0, EMPTY_TUPLE, EMPTY_TUPLE, NEWFALSE]),
            "{bytes:?}"
        );
    }

    #[test]
    fn the_archive_has_pytorchs_records_aligned() {
        let bytes = to_bytes(&[
            tensor("a", &[3], Values::F32(vec![1.0, 2.0, 3.0])),
            tensor("b", &[], Values::I64(vec![7])),
        ])
        .unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        for name in [
            "archive/data.pkl",
            "archive/byteorder",
            "archive/version",
            "archive/data/0",
            "archive/data/1",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
        }
        let mut data = zip.by_name("archive/data/0").unwrap();
        assert_eq!(data.compression(), CompressionMethod::Stored);
        let start = data.data_start().unwrap();
        assert_eq!(start % 64, 0, "storage data starts at {start}");
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut data, &mut read).unwrap();
        assert_eq!(read, Values::F32(vec![1.0, 2.0, 3.0]).to_le_bytes());
    }
}
