//! JOSE: JWS signing and verification, JWK sets. (Owned by the LTI work item.)
