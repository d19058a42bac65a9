//! The anchored-name index: every exact and leading-dot name of a policy in
//! one finite-state transducer.
//!
//! A key is the byte-reversed `"." + name`, lower-cased, so `.example.com`
//! and `example.com` both become `moc.elpmaxe.`. Walking the reversed
//! `"." + observed` name from the root then passes through every key that is
//! a suffix of the observed name *at a label boundary* (every key ends with
//! the dot), in a single pass whose cost is the length of the name, not the
//! size of the list. This is Suricata's `dotprefix; content:".D"; endswith;`
//! turned into a prefix walk (ANCHORS.md §B.6). A key reached before the walk
//! ends matches leading-dot entries only; a key reached at the very end also
//! matches exact entries.
//!
//! The fst is the canonical, compact form (a few bytes per name). Walking it
//! costs a cache miss or so per byte of the name on large lists, so the index
//! can carry a *hash front* (ANCHORS.md §B.6, §B.8): a hash table from each
//! key to the same fst output, probed once per label boundary of the
//! reversed observed name (the keys a walk could reach are exactly its
//! prefixes that end with a dot). It gives exactly the same postings in the
//! same order, several times faster, for about 40 bytes per name (keys in
//! one contiguous arena); it is on by default and
//! [`NameIndexBuilder::hash_front`] turns it off.
//!
//! Each key's output is a [`Posting`]: who wrote the name (a domain list and
//! the entry's index, or a single hand-written rule) and whether it was exact
//! or leading-dot. Most keys have one posting, stored inline in the fst's
//! 64-bit output; the rest point into an overflow table.

use std::hash::BuildHasher;

use fst::raw::{Builder, Fst, Output};
use hashbrown::HashTable;

/// Whether an indexed name matches only itself or also its subdomains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The name itself only.
    Exact,
    /// The name and every subdomain.
    Suffix,
}

/// Who put a name into the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Posting {
    /// A family of rules: a domain list, or one hand-written rule.
    pub family: u32,
    /// Entry index within the family (0 for a single rule).
    pub entry: u32,
    /// Exact or leading-dot.
    pub anchor: Anchor,
}

/// The largest family number an index can hold.
pub const MAX_FAMILY: u32 = (1 << 30) - 1;

/// How postings are packed into the fst's 64-bit outputs.
///
/// The fst stores each output in as many bytes as the largest value on a
/// node needs, so small values make a small index. The lowest bit says
/// whether the value is an inline posting or points into the overflow table;
/// an inline posting is `(entry × families + family) × 2 + suffix`, a mixed
/// radix that needs only as many bits as the policy has entries.
#[derive(Clone, Copy, Debug)]
struct Packing {
    families: u64,
}

impl Packing {
    /// The inline value of `p`, or `None` if it does not fit in 63 bits.
    fn encode(self, p: Posting) -> Option<u64> {
        let suffix = u128::from(p.anchor == Anchor::Suffix);
        let value = ((u128::from(p.entry) * u128::from(self.families) + u128::from(p.family)) * 2
            + suffix)
            << 1;
        u64::try_from(value).ok()
    }

    fn encode_overflow(start: usize, len: usize) -> u64 {
        (((start as u64) << 16 | len.min(0xffff) as u64) << 1) | 1
    }

    fn decode(self, value: u64) -> Result<Posting, (usize, usize)> {
        let payload = value >> 1;
        if value & 1 == 1 {
            return Err(((payload >> 16) as usize, (payload & 0xffff) as usize));
        }
        let suffix = payload & 1 == 1;
        let rest = payload >> 1;
        Ok(Posting {
            family: (rest % self.families) as u32,
            entry: (rest / self.families) as u32,
            anchor: if suffix { Anchor::Suffix } else { Anchor::Exact },
        })
    }
}

/// Collects names, then builds a [`NameIndex`].
#[derive(Debug)]
pub struct NameIndexBuilder {
    keys: Vec<u8>,
    entries: Vec<(u32, u32, Posting)>,
    hash_front: bool,
}

impl Default for NameIndexBuilder {
    fn default() -> NameIndexBuilder {
        NameIndexBuilder { keys: Vec::new(), entries: Vec::new(), hash_front: true }
    }
}

impl NameIndexBuilder {
    /// An empty builder.
    pub fn new() -> NameIndexBuilder {
        NameIndexBuilder::default()
    }

    /// Whether to build the hash front (default: yes).
    pub fn hash_front(&mut self, yes: bool) -> &mut NameIndexBuilder {
        self.hash_front = yes;
        self
    }

    /// Makes room for `names` more names of `bytes` bytes in all.
    pub fn reserve(&mut self, names: usize, bytes: usize) {
        self.entries.reserve(names);
        self.keys.reserve(bytes + names);
    }

    /// Adds `name` (without leading dot; any case) for `posting`.
    pub fn insert(&mut self, name: &[u8], posting: Posting) {
        let start = self.keys.len() as u32;
        push_key(&mut self.keys, name);
        let len = self.keys.len() as u32 - start;
        self.entries.push((start, len, posting));
    }

    /// Builds the index.
    pub fn build(mut self) -> NameIndex {
        let keys = std::mem::take(&mut self.keys);
        let key =
            |&(start, len, _): &(u32, u32, Posting)| &keys[start as usize..(start + len) as usize];
        // Sort on the first sixteen key bytes first: most comparisons end there.
        let prefix = |e: &(u32, u32, Posting)| {
            let mut head = [0u8; 16];
            let k = key(e);
            let n = k.len().min(16);
            head[..n].copy_from_slice(&k[..n]);
            u128::from_be_bytes(head)
        };
        let mut order: Vec<(u128, u32)> =
            self.entries.iter().enumerate().map(|(i, e)| (prefix(e), i as u32)).collect();
        order.sort_unstable_by(|&(pa, a), &(pb, b)| {
            let (a, b) = (&self.entries[a as usize], &self.entries[b as usize]);
            pa.cmp(&pb)
                .then_with(|| key(a).cmp(key(b)))
                .then(a.2.family.cmp(&b.2.family))
                .then(a.2.entry.cmp(&b.2.entry))
        });
        let entries: Vec<(u32, u32, Posting)> =
            order.into_iter().map(|(_, i)| self.entries[i as usize]).collect();
        self.entries = entries;

        let packing = Packing {
            families: self.entries.iter().map(|e| u64::from(e.2.family) + 1).max().unwrap_or(1),
        };
        // One (key, output) per distinct key, in key order.
        let mut overflow: Vec<Posting> = Vec::new();
        let mut outputs: Vec<(&[u8], u64)> = Vec::with_capacity(self.entries.len());
        let mut i = 0;
        while i < self.entries.len() {
            let k = key(&self.entries[i]);
            let mut j = i + 1;
            while j < self.entries.len() && key(&self.entries[j]) == k {
                j += 1;
            }
            let inline = if j - i == 1 { packing.encode(self.entries[i].2) } else { None };
            let value = if let Some(value) = inline {
                value
            } else {
                let start = overflow.len();
                overflow.extend(self.entries[i..j].iter().map(|e| e.2));
                Packing::encode_overflow(start, j - i)
            };
            outputs.push((k, value));
            i = j;
        }
        // The fst and the hash front are independent: build them side by side.
        let (fst, front) = std::thread::scope(|scope| {
            let front =
                self.hash_front.then(|| scope.spawn(|| HashFront::build(&outputs, keys.len())));
            let mut builder = Builder::memory();
            for &(k, value) in &outputs {
                // Keys are sorted and unique here, so insertion cannot fail.
                let _ = builder.insert(k, value);
            }
            let bytes = builder.into_inner().unwrap_or_default();
            let fst = Fst::new(bytes).unwrap_or_else(|_| empty_fst());
            (fst, front.and_then(|handle| handle.join().ok()))
        });
        NameIndex { fst, overflow, packing, front }
    }
}

fn empty_fst() -> Fst<Vec<u8>> {
    let builder = Builder::memory();
    let bytes = builder.into_inner().unwrap_or_default();
    Fst::new(bytes).unwrap_or_else(|_| unreachable!("an empty fst is valid"))
}

/// Appends the key of `name`: reversed `"." + name`, ASCII lower case.
fn push_key(out: &mut Vec<u8>, name: &[u8]) {
    out.extend(name.iter().rev().map(u8::to_ascii_lowercase));
    out.push(b'.');
}

/// The compiled index (see the module docs).
#[derive(Clone)]
pub struct NameIndex {
    fst: Fst<Vec<u8>>,
    overflow: Vec<Posting>,
    packing: Packing,
    front: Option<HashFront>,
}

/// Every fst key with its output, in a hash table over one byte arena.
#[derive(Clone, Default)]
struct HashFront {
    table: HashTable<FrontEntry>,
    keys: Vec<u8>,
    hasher: foldhash::fast::RandomState,
}

#[derive(Clone, Copy)]
struct FrontEntry {
    start: u32,
    len: u32,
    value: u64,
}

impl HashFront {
    fn build(outputs: &[(&[u8], u64)], key_bytes: usize) -> HashFront {
        let mut front = HashFront {
            table: HashTable::with_capacity(outputs.len()),
            keys: Vec::with_capacity(key_bytes),
            hasher: Default::default(),
        };
        for &(key, value) in outputs {
            front.insert(key, value);
        }
        front
    }

    fn insert(&mut self, key: &[u8], value: u64) {
        let Ok(start) = u32::try_from(self.keys.len()) else { return };
        self.keys.extend_from_slice(key);
        let entry = FrontEntry { start, len: key.len() as u32, value };
        let hash = self.hasher.hash_one(key);
        let (keys, hasher) = (&self.keys, &self.hasher);
        self.table.insert_unique(hash, entry, |e| hasher.hash_one(e.key(keys)));
    }

    fn get(&self, key: &[u8]) -> Option<u64> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |e| e.key(&self.keys) == key).map(|e| e.value)
    }
}

impl FrontEntry {
    fn key(self, keys: &[u8]) -> &[u8] {
        keys.get(self.start as usize..(self.start + self.len) as usize).unwrap_or(&[])
    }
}

impl std::fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameIndex")
            .field("keys", &self.fst.len())
            .field("bytes", &self.memory_usage())
            .finish()
    }
}

/// Names longer than this are walked from a heap buffer.
const STACK_KEY: usize = 256;

/// Calls `f` with the key of `observed`: reversed `"." + name`, lower case.
fn with_key(observed: &[u8], f: impl FnOnce(&[u8])) {
    if observed.len() < STACK_KEY {
        let mut stack = [0u8; STACK_KEY];
        for (slot, b) in stack.iter_mut().zip(observed.iter().rev()) {
            *slot = b.to_ascii_lowercase();
        }
        stack[observed.len()] = b'.';
        f(&stack[..=observed.len()]);
    } else {
        let mut heap = Vec::with_capacity(observed.len() + 1);
        push_key(&mut heap, observed);
        f(&heap);
    }
}

impl NameIndex {
    /// Calls `found` with every posting whose name matches `observed`
    /// (compared ASCII-case-insensitively), shortest name first.
    pub fn lookup(&self, observed: &[u8], found: impl FnMut(Posting)) {
        match &self.front {
            Some(front) => with_key(observed, |key| self.probe(front, key, found)),
            None => self.walk(observed, found),
        }
    }

    /// The hash front: every prefix of the reversed name that ends with a
    /// dot, shortest first, as the fst walk would reach them.
    fn probe(&self, front: &HashFront, key: &[u8], mut found: impl FnMut(Posting)) {
        for (i, _) in key.iter().enumerate().filter(|(_, b)| **b == b'.') {
            if let Some(value) = front.get(&key[..=i]) {
                self.emit(value, i + 1 == key.len(), &mut found);
            }
        }
    }

    /// The fst walk (see the module docs).
    fn walk(&self, observed: &[u8], mut found: impl FnMut(Posting)) {
        with_key(observed, |key| {
            let fst = &self.fst;
            let mut node = fst.root();
            let mut out = Output::zero();
            for (i, &byte) in key.iter().enumerate() {
                let Some(t) = node.find_input(byte) else { return };
                let transition = node.transition(t);
                out = out.cat(transition.out);
                node = fst.node(transition.addr);
                if node.is_final() {
                    let whole = i + 1 == key.len();
                    self.emit(out.cat(node.final_output()).value(), whole, &mut found);
                }
            }
        });
    }

    fn emit(&self, value: u64, whole: bool, found: &mut impl FnMut(Posting)) {
        let mut report = |p: Posting| {
            if whole || p.anchor == Anchor::Suffix {
                found(p);
            }
        };
        match self.packing.decode(value) {
            Ok(posting) => report(posting),
            Err((start, len)) => self
                .overflow
                .get(start..start + len)
                .unwrap_or(&[])
                .iter()
                .copied()
                .for_each(report),
        }
    }

    /// How many distinct names the index holds.
    pub fn len(&self) -> usize {
        self.fst.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.fst.len() == 0
    }

    /// Heap bytes of the fst and its overflow table (the compact form).
    pub fn memory_usage(&self) -> usize {
        self.fst.as_bytes().len() + self.overflow.len() * std::mem::size_of::<Posting>()
    }

    /// Heap bytes of the hash front (0 when it is off): table slots (entry
    /// plus one control byte) and the key arena.
    pub fn hash_front_memory_usage(&self) -> usize {
        self.front.as_ref().map_or(0, |front| {
            front.table.capacity() * (std::mem::size_of::<FrontEntry>() + 1) + front.keys.capacity()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(family: u32, entry: u32, anchor: Anchor) -> Posting {
        Posting { family, entry, anchor }
    }

    /// Looks `name` up through the hash front and the fst walk, which must agree.
    fn find(index: &NameIndex, name: &str) -> Vec<Posting> {
        let mut hashed = Vec::new();
        index.lookup(name.as_bytes(), |x| hashed.push(x));
        let mut walked = Vec::new();
        index.walk(name.as_bytes(), |x| walked.push(x));
        assert_eq!(hashed, walked, "{name}");
        walked
    }

    #[test]
    fn walks_find_label_boundary_suffixes() {
        let mut b = NameIndexBuilder::new();
        b.insert(b"example.com", p(0, 0, Anchor::Suffix));
        b.insert(b"example.com", p(1, 7, Anchor::Exact));
        b.insert(b"www.example.com", p(2, 0, Anchor::Exact));
        b.insert(b"Other.NET", p(3, 1, Anchor::Suffix));
        let index = b.build();
        assert_eq!(index.len(), 3);

        assert_eq!(find(&index, "example.com"), [p(0, 0, Anchor::Suffix), p(1, 7, Anchor::Exact)]);
        assert_eq!(find(&index, "EXAMPLE.Com"), [p(0, 0, Anchor::Suffix), p(1, 7, Anchor::Exact)]);
        assert_eq!(
            find(&index, "www.example.com"),
            [p(0, 0, Anchor::Suffix), p(2, 0, Anchor::Exact)]
        );
        assert_eq!(find(&index, "a.b.www.example.com"), [p(0, 0, Anchor::Suffix)]);
        assert_eq!(find(&index, "badexample.com"), []);
        assert_eq!(find(&index, "example.com.evil.net"), []);
        assert_eq!(find(&index, "example.com."), []);
        assert_eq!(find(&index, "x.other.net"), [p(3, 1, Anchor::Suffix)]);
        assert_eq!(find(&index, ""), []);
        let long = format!("{}.example.com", "a".repeat(400));
        assert_eq!(find(&index, &long), [p(0, 0, Anchor::Suffix)]);
    }

    #[test]
    fn empty_index_finds_nothing() {
        let index = NameIndexBuilder::new().build();
        assert!(index.is_empty());
        assert_eq!(find(&index, "example.com"), []);
    }
}
