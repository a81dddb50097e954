//! Object identifiers not in `const-oid` 0.9, and okienko's own.

pub use const_oid::ObjectIdentifier;

/// id-ct-TSTInfo (RFC 3161).
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-aa-signingCertificateV2 (RFC 5035).
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// id-aa-signatureTimeStampToken (RFC 3161 appendix A, CAdES-T).
pub const ID_AA_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// The default time-stamping policy: id-TEST-certPolicyOne from RFC 7229's arc for testing,
/// because okienko has no registered arc of its own. An operator sets their own policy OID.
pub const DEFAULT_TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.13.1");

/// id-aa-ets-signerAttrV2 (ETSI EN 319 122-1): attributes the signer claims; a trusted
/// signature names the person it was made for here.
pub const ID_AA_ETS_SIGNER_ATTR_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.19122.1.1");
