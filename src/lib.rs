//! advice-site: a server-rendered advice website for parents dealing with
//! the Child Maintenance Service.
//!
//! Data flows one way, and the folders follow it:
//! `content` (the author's files, checked) → `site` (one read-only model,
//! cross-linked) → `render` (every page prepared as bytes) → `serve` (axum,
//! hyper and tower-http answering requests). [`load::load`] runs the first
//! three; `export` writes what `render` made to files. Beside the flow,
//! `store` keeps readers' feedback (SQLite or PostgreSQL): `serve` writes
//! to it and the CLI reads it.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod content;
pub mod error;
pub mod export;
pub mod fingerprint;
pub mod load;
pub mod markdown;
pub mod render;
pub mod serve;
pub mod site;
pub mod store;
pub mod tools;
