//! Call quality as one figure.

/// A rough MOS from loss and jitter (simplified E-model, ITU-T G.107, for G.711 with a 40 ms
/// fixed delay budget): good enough to tell a clean line from a broken one.
pub(crate) fn mos(loss: f64, jitter_ms: f64) -> f64 {
    let effective_latency = 40.0 + jitter_ms * 2.0 + 10.0;
    let mut r = if effective_latency < 160.0 {
        93.2 - effective_latency / 40.0
    } else {
        93.2 - (effective_latency - 120.0) / 10.0
    };
    r -= loss * 100.0 * 2.5;
    let r = r.clamp(0.0, 100.0);
    let m = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
    (m.clamp(1.0, 4.5) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::mos;

    #[test]
    fn mos_falls_with_loss_and_jitter() {
        assert!(mos(0.0, 0.0) > 4.3);
        assert!(mos(0.05, 0.0) < mos(0.0, 0.0));
        assert!(mos(0.0, 60.0) < mos(0.0, 0.0));
        assert!(mos(0.5, 200.0) >= 1.0);
    }
}
