//! Image references (`docker.io/library/alpine:3.20@sha256:…`), parsed and
//! normalised exactly as Docker's `distribution/reference` does.
