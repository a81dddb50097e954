use super::*;

#[tokio::test]
async fn local_round_trip_and_bad_urls() {
    let dir = std::env::temp_dir().join(format!("okienko-blobs-{}", crate::new_id()));
    let b = Blobs::open(&dir.display().to_string()).expect("open");
    let sha = b.put(Bytes::from_static(b"hello")).await.expect("put");
    assert_eq!(
        sha,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(
        b.get(&sha).await.expect("get"),
        Bytes::from_static(b"hello")
    );
    assert!(b.get("../etc/passwd").await.is_err());

    // Packs: two blobs in one go, read back by place; a second batch goes after them.
    let one = Bytes::from_static(b"first blob");
    let two = Bytes::from(vec![7u8; 5000]);
    let key = |d: &Bytes| hex::encode(Sha256::digest(d));
    let places = b
        .pack(vec![(key(&one), one.clone()), (key(&two), two.clone())])
        .await
        .expect("pack");
    assert_eq!(places.len(), 2);
    assert_eq!(places[0].offset, RECORD_HEADER as i64);
    assert_eq!(b.read_packed(&places[0]).await.expect("read"), one);
    assert_eq!(b.read_packed(&places[1]).await.expect("read"), two);
    let again = b.pack(vec![(key(&one), one.clone())]).await.expect("pack");
    assert!(again[0].offset > places[1].offset);
    // A reopened store (another process: a restart, a second instance on the same folder)
    // starts a pack of its own rather than appending to one another process may hold.
    let reopened = Blobs::open(&dir.display().to_string()).expect("open");
    let third = reopened
        .pack(vec![(key(&two), two.clone())])
        .await
        .expect("pack");
    assert_eq!(third[0].pack, places[0].pack + 1);
    assert_eq!(third[0].offset, RECORD_HEADER as i64);
    assert_eq!(reopened.read_packed(&third[0]).await.expect("read"), two);
    // Read from its start, the first pack holds its three records, whole, padding skipped;
    // a flipped byte shows.
    let pack = dir
        .join("packs")
        .join(format!("{:08}.pack", places[0].pack));
    let scanned = scan_pack(&pack).expect("scan");
    let offsets: Vec<i64> = scanned.iter().map(|r| r.offset).collect();
    assert_eq!(
        offsets,
        vec![places[0].offset, places[1].offset, again[0].offset]
    );
    assert!(scanned.iter().all(|r| r.intact));
    assert_eq!(scanned[1].sha256, key(&two));
    let mut bytes = std::fs::read(&pack).expect("read");
    bytes[places[1].offset as usize + 10] ^= 1;
    std::fs::write(&pack, &bytes).expect("write");
    let scanned = scan_pack(&pack).expect("scan");
    assert_eq!(
        scanned.iter().map(|r| r.intact).collect::<Vec<_>>(),
        vec![true, false, true]
    );
    // Bytes that do not match their hash are refused.
    let mut wrong = places[0].clone();
    wrong.sha256 = key(&two);
    assert!(b.read_packed(&wrong).await.is_err());
    assert!(Blobs::open("ftp://x").is_err());
    assert!(Blobs::open("s3://").is_err());
}

/// A file no record needs goes only once it has lain idle: one stored (or stored again)
/// lately stays, and the same bytes stored after it went are written anew.
#[tokio::test]
async fn idle_files_are_deleted_and_fresh_ones_kept() {
    let dir = std::env::temp_dir().join(format!("okienko-blobs-{}", crate::new_id()));
    let b = Blobs::open(&dir.display().to_string()).expect("open");
    let hour = Duration::from_secs(3600);
    let sha = b.put(Bytes::from_static(b"records")).await.expect("put");
    let file = dir.join("sha256").join(&sha[..2]).join(&sha);
    assert!(!b.delete_idle(&sha, hour).await.expect("fresh"));
    assert_eq!(
        b.get(&sha).await.expect("kept"),
        Bytes::from_static(b"records")
    );
    // Two hours old, then stored again: touched, so kept.
    let age = || {
        let old = std::fs::metadata(&file)
            .expect("stat")
            .modified()
            .expect("time")
            - 2 * hour;
        std::fs::File::options()
            .write(true)
            .open(&file)
            .expect("open")
            .set_modified(old)
            .expect("age");
    };
    age();
    b.put(Bytes::from_static(b"records")).await.expect("again");
    assert!(!b.delete_idle(&sha, hour).await.expect("touched"));
    // Two hours old and left alone: deleted, nothing left beside it.
    age();
    assert!(b.delete_idle(&sha, hour).await.expect("idle"));
    assert!(b.get(&sha).await.is_err());
    let left: Vec<_> = std::fs::read_dir(file.parent().expect("dir"))
        .expect("list")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(b.delete_idle(&sha, hour).await.expect("gone already"));
    b.put(Bytes::from_static(b"records")).await.expect("anew");
    assert_eq!(
        b.get(&sha).await.expect("back"),
        Bytes::from_static(b"records")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
