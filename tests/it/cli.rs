//! The `vela` binary, run as a user would.

use std::process::Command;

fn vela(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vela"))
        .args(args)
        .output()
        .expect("vela runs")
}

#[test]
fn help_lists_the_subcommands() {
    let out = vela(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("strategies"), "{text}");
}

#[test]
fn strategies_lists_crossover_with_its_schema() {
    let out = vela(&["strategies"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("crossover"), "{text}");
    assert!(
        text.contains("fast") && text.contains("[1, 10000]"),
        "{text}"
    );

    let out = vela(&["strategies", "crossover", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json[0]["name"], "crossover");
    assert_eq!(json[0]["params"][0]["name"], "fast");
}

#[test]
fn unknown_strategy_is_a_clear_error() {
    let out = vela(&["strategies", "nope"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // The message lists every registered strategy.
    assert!(err.contains("unknown strategy \"nope\" (known: "), "{err}");
    assert!(
        err.contains("crossover") && err.contains("triangular"),
        "{err}"
    );
}
