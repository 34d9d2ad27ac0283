//! The one seeded generator of the tests: chunk sizes, shuffled cases, test data.

/// xorshift64*: a tiny deterministic generator for chunk sizes and data. The seed
/// must not be zero (zero stays zero).
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`, which must not be empty.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Incompressible bytes, so a layer's blob is as large as its file.
    pub fn noise(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next_u64() >> 24) as u8).collect()
    }

    /// A chunk size from 1 byte to 1 MiB, log-uniform so that both tiny and
    /// huge chunks are common.
    pub fn chunk_size(&mut self) -> usize {
        let bits = self.below(21) as u32; // 2^0 ..= 2^20
        let base = 1u64 << bits;
        (base + self.below(base)).clamp(1, 1 << 20) as usize
    }

    /// Bytes that compress like real files: words from a small vocabulary
    /// with some random noise.
    pub fn text(&mut self, len: usize) -> Vec<u8> {
        const WORDS: &[&[u8]] = &[
            b"layer ", b"image ", b"tar ", b"\n", b"lib", b"/usr/", b"0x1f8b ", b"digest ",
        ];
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            if self.below(8) == 0 {
                out.push(self.next_u64() as u8);
            } else {
                out.extend_from_slice(WORDS[self.below(WORDS.len() as u64) as usize]);
            }
        }
        out.truncate(len);
        out
    }
}
