//! End-to-end tests: a real server on port 0 with a fresh data folder per test, driven over
//! real HTTP. The browser test drives headless Chromium through chromedriver.

// Tests start their fake clocks at the real time and compare with outside tools that read it.
#![allow(clippy::disallowed_methods)]

mod common;

mod appointments;
mod archive;
mod auth;
mod browser;
mod cases;
mod catalogue;
mod crash;
mod delivery;
mod forms;
mod instances;
mod library;
mod matrix;
mod paper;
mod places;
mod scans;
mod search;
mod security;
mod substitutes;
mod tasks;
mod trust;
mod trusted;
mod walk;
