//! The evidence log's Merkle tree, hashed as RFC 6962 / RFC 9162 § 2.1: leaves
//! SHA-256(0x00 || leaf), inner nodes SHA-256(0x01 || left || right). Proof generation
//! and verification follow the RFC's algorithms (PATH, PROOF, and the § 2.1.3.2 / § 2.1.4.2
//! verifiers), so any RFC 9162 client can check what we serve.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]): the audit path of leaf `m`.
pub fn inclusion_proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 || m >= n {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = inclusion_proof(m, &leaves[..k]);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = inclusion_proof(m - k, &leaves[k..]);
        p.push(root(&leaves[..k]));
        p
    }
}

/// PROOF(m, D[n]): proves the tree of the first `m` leaves is a prefix of all `leaves`.
pub fn consistency_proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    if m == 0 || m >= leaves.len() {
        return Vec::new();
    }
    subproof(m, leaves, true)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            Vec::new()
        } else {
            vec![root(leaves)]
        };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &leaves[..k], complete);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = subproof(m - k, &leaves[k..], false);
        p.push(root(&leaves[..k]));
        p
    }
}

/// RFC 9162 § 2.1.3.2.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    expected_root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *expected_root
}

/// RFC 9162 § 2.1.4.2.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if first == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *first_root && sr == *second_root && s == 0
}

/// The bytes an evidence log's tree head signature covers (RFC 6962 § 3.5
/// TreeHeadSignature: version v1 = 0, signature_type tree_hash = 1, timestamp, tree_size,
/// sha256_root_hash).
pub fn tree_head_input(timestamp_ms: u64, tree_size: u64, root: &Hash) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 + 8 + 8 + 32);
    v.push(0);
    v.push(1);
    v.extend_from_slice(&timestamp_ms.to_be_bytes());
    v.extend_from_slice(&tree_size.to_be_bytes());
    v.extend_from_slice(root);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn empty_tree_root_is_hash_of_nothing() {
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// Every leaf of every tree size up to 300 proves its inclusion, and every pair of sizes
    /// proves consistency.
    #[test]
    fn all_proofs_up_to_300_verify() {
        let all = leaves(300);
        let roots: Vec<Hash> = (0..=300).map(|n| root(&all[..n])).collect();
        for n in 1..=300usize {
            let d = &all[..n];
            for m in 0..n {
                let p = inclusion_proof(m, d);
                assert!(
                    verify_inclusion(m as u64, n as u64, &d[m], &p, &roots[n]),
                    "inclusion {m} in {n}"
                );
            }
            for m in 1..=n {
                let p = consistency_proof(m, d);
                assert!(
                    verify_consistency(m as u64, n as u64, &roots[m], &roots[n], &p),
                    "consistency {m} -> {n}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn tampering_is_detected(n in 2usize..300, m_seed in 0usize..10_000, which in 0usize..64, bit in 0u8..8) {
            let d = leaves(n);
            let m = m_seed % n;
            let r = root(&d);
            let mut p = inclusion_proof(m, &d);
            // A different leaf does not verify.
            let other = leaf_hash(b"not in the log");
            prop_assert!(!verify_inclusion(m as u64, n as u64, &other, &p, &r));
            // A modified proof does not verify.
            if !p.is_empty() {
                let i = which % p.len();
                p[i][which % 32] ^= 1 << bit;
                prop_assert!(!verify_inclusion(m as u64, n as u64, &d[m], &p, &r));
            }
            // A consistency proof does not survive a changed leaf in the old tree.
            let first = 1 + m_seed % (n - 1);
            let mut d2 = d.clone();
            d2[which % first] = other;
            let proof = consistency_proof(first, &d);
            prop_assert!(!verify_consistency(first as u64, n as u64, &root(&d2[..first]), &r, &proof));
            let mut bad = proof.clone();
            if !bad.is_empty() {
                let i = which % bad.len();
                bad[i][0] ^= 1 << bit;
                prop_assert!(!verify_consistency(first as u64, n as u64, &root(&d[..first]), &r, &bad));
            }
        }
    }
}
