//! advice-site: a server-rendered advice website for parents dealing with
//! the Child Maintenance Service.
//!
//! Everything is loaded, checked, cross-linked and rendered once
//! ([`site::Site::load`]); the server ([`routes::app`]) only looks up bytes.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod blob;
pub mod config;
pub mod content;
pub mod encoding;
pub mod error;
pub mod export;
pub mod fingerprint;
pub mod h1;
pub mod handlers;
pub mod http;
pub mod lint;
pub mod markdown;
pub mod pages;
pub mod prepared;
pub mod preview;
pub mod reload;
pub mod routes;
pub mod server;
pub mod share;
pub mod site;
pub mod state;
