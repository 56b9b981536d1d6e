//! Resampling: exact results on constructed frames, errors, the streaming form against the
//! batch form, and real one-minute BTC bars against a naive aggregation.

use vela_data::{
    BarFrame, GeneratorSpec, Interval, Partial, ResampleError, Resampler, Row, generate, resample,
};

const MINUTE: i64 = 60_000;
const DAY: i64 = 1_440 * MINUTE;
/// 2024-01-01T00:00:00Z, a Monday.
const T0: i64 = 1_704_067_200_000;

fn bar(ts: i64, ohlc: [f64; 4], volume: f64) -> Row {
    Row {
        ts,
        open: ohlc[0],
        high: ohlc[1],
        low: ohlc[2],
        close: ohlc[3],
        volume,
        quote_volume: Some(volume * 10.0),
    }
}

fn frame(rows: &[Row], with_quote: bool) -> BarFrame {
    let mut frame = BarFrame::empty(with_quote);
    for row in rows {
        frame.push(*row);
    }
    frame
}

fn minute(m: i64, ohlc: [f64; 4], volume: f64) -> Row {
    bar(T0 + m * MINUTE, ohlc, volume)
}

#[test]
fn one_minute_to_five_with_a_gap_and_a_partial_last_bucket() {
    let rows = [
        minute(0, [10.0, 12.0, 9.0, 11.0], 1.0),
        minute(1, [11.0, 15.0, 10.0, 14.0], 2.0),
        minute(2, [14.0, 14.0, 8.0, 9.0], 3.0),
        minute(3, [9.0, 10.0, 9.0, 10.0], 4.0),
        minute(4, [10.0, 11.0, 10.0, 10.5], 5.0),
        // Minute 7 is missing.
        minute(5, [20.0, 21.0, 19.0, 20.0], 1.0),
        minute(6, [20.0, 25.0, 20.0, 24.0], 1.0),
        minute(8, [24.0, 24.0, 18.0, 19.0], 1.0),
        minute(9, [19.0, 20.0, 19.0, 20.0], 1.0),
        // The last bucket has two of five.
        minute(10, [30.0, 31.0, 29.0, 30.5], 2.0),
        minute(11, [30.5, 32.0, 30.0, 31.0], 3.0),
    ];
    let full = bar(T0, [10.0, 15.0, 8.0, 10.5], 15.0);
    let gapped = bar(T0 + 5 * MINUTE, [20.0, 25.0, 18.0, 20.0], 4.0);
    let partial = bar(T0 + 10 * MINUTE, [30.0, 32.0, 29.0, 31.0], 5.0);

    let input = frame(&rows, true);
    let dropped = resample(&input, Interval::M1, Interval::M5, Partial::Drop).unwrap();
    assert_eq!(dropped, frame(&[full], true));
    let kept = resample(&input, Interval::M1, Interval::M5, Partial::Keep).unwrap();
    assert_eq!(kept, frame(&[full, gapped, partial], true));
    assert_eq!(Partial::default(), Partial::Drop);

    // Without a quote-volume column, the output has none either.
    let plain = resample(
        &frame(&rows, false),
        Interval::M1,
        Interval::M5,
        Partial::Keep,
    )
    .unwrap();
    assert_eq!(plain, frame(&[full, gapped, partial], false));

    // Data that starts mid-bucket: the bar keeps the bucket's open time.
    let late = resample(
        &frame(&rows[2..5], true),
        Interval::M1,
        Interval::M5,
        Partial::Keep,
    );
    assert_eq!(
        late.unwrap(),
        frame(&[bar(T0, [14.0, 14.0, 8.0, 10.5], 12.0)], true)
    );
    let late = resample(
        &frame(&rows[2..5], true),
        Interval::M1,
        Interval::M5,
        Partial::Drop,
    );
    assert!(late.unwrap().is_empty());
}

/// Daily bars from day `first` to day `last` (inclusive) after `T0`; day `d` has open
/// `d`, high `d + 0.5`, low `d - 0.5`, close `d + 0.25` and volume 1.
fn days(first: i64, last: i64) -> Vec<Row> {
    (first..=last)
        .map(|d| {
            let p = d as f64;
            bar(T0 + d * DAY, [p, p + 0.5, p - 0.5, p + 0.25], 1.0)
        })
        .collect()
}

#[test]
fn days_to_months_across_january_31() {
    // 2024-01-30 (day 29) to 2024-03-01 (day 60): February (29 days) is the one full month.
    let input = frame(&days(29, 60), true);
    let feb = T0 + 31 * DAY;
    assert_eq!(feb, 1_706_745_600_000);
    let january = bar(T0, [29.0, 30.5, 28.5, 30.25], 2.0);
    let february = bar(feb, [31.0, 59.5, 30.5, 59.25], 29.0);
    let march = bar(feb + 29 * DAY, [60.0, 60.5, 59.5, 60.25], 1.0);
    let kept = resample(&input, Interval::D1, Interval::Month1, Partial::Keep).unwrap();
    assert_eq!(kept, frame(&[january, february, march], true));
    let dropped = resample(&input, Interval::D1, Interval::Month1, Partial::Drop).unwrap();
    assert_eq!(dropped, frame(&[february], true));
    // February without its 29th is incomplete.
    let short = frame(&days(31, 58), true);
    let dropped = resample(&short, Interval::D1, Interval::Month1, Partial::Drop).unwrap();
    assert!(dropped.is_empty());
}

#[test]
fn minutes_to_a_month_count_the_month_s_minutes() {
    // All of January 2024 and the first hour of February.
    let minutes = GeneratorSpec::new(11, 31 * 1_440 + 60);
    let input = generate(&minutes).unwrap();
    let month = resample(&input, Interval::M1, Interval::Month1, Partial::Drop).unwrap();
    assert_eq!(month.ts, vec![T0]);
    assert_eq!(
        month.close[0].to_bits(),
        input.close[31 * 1_440 - 1].to_bits()
    );
    let kept = resample(&input, Interval::M1, Interval::Month1, Partial::Keep).unwrap();
    assert_eq!(kept.ts, vec![T0, T0 + 31 * DAY]);
    // Missing one minute makes January incomplete.
    let mut holed = input.clone();
    for column in [
        &mut holed.open,
        &mut holed.high,
        &mut holed.low,
        &mut holed.close,
    ] {
        column.remove(777);
    }
    holed.ts.remove(777);
    holed.volume.remove(777);
    holed.quote_volume.as_mut().unwrap().remove(777);
    let dropped = resample(&holed, Interval::M1, Interval::Month1, Partial::Drop).unwrap();
    assert!(dropped.is_empty());
    // Through hours, the same month (volumes up to summation order).
    let hours = resample(&input, Interval::M1, Interval::H1, Partial::Drop).unwrap();
    let via_hours = resample(&hours, Interval::H1, Interval::Month1, Partial::Drop).unwrap();
    assert_eq!(
        (via_hours.ts.clone(), via_hours.high.clone()),
        (month.ts.clone(), month.high.clone())
    );
    assert_eq!(
        (via_hours.low.clone(), via_hours.close.clone()),
        (month.low.clone(), month.close.clone())
    );
    assert!((via_hours.volume[0] / month.volume[0] - 1.0).abs() < 1e-12);
}

#[test]
fn weeks_start_on_monday() {
    // Saturday 2024-01-06 (day 5) to Tuesday 2024-01-16 (day 15).
    let input = frame(&days(5, 15), true);
    let kept = resample(&input, Interval::D1, Interval::W1, Partial::Keep).unwrap();
    assert_eq!(kept.ts, vec![T0, T0 + 7 * DAY, T0 + 14 * DAY]);
    let full_week = bar(T0 + 7 * DAY, [7.0, 13.5, 6.5, 13.25], 7.0);
    assert_eq!(kept.row(1), Some(full_week));
    let dropped = resample(&input, Interval::D1, Interval::W1, Partial::Drop).unwrap();
    assert_eq!(dropped, frame(&[full_week], true));
}

#[test]
fn bad_interval_pairs_and_bad_input_are_errors() {
    let five = frame(&[bar(T0, [1.0, 1.0, 1.0, 1.0], 1.0)], true);
    let err = resample(&five, Interval::M5, Interval::M1, Partial::Drop).unwrap_err();
    assert_eq!(
        err,
        ResampleError::Finer {
            from: Interval::M5,
            to: Interval::M1
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot resample 5m bars to 1m: 1m is finer than 5m"
    );
    // Every MEXC interval up to a week is a whole multiple of the finer ones; weeks do not
    // make months.
    let err = resample(&five, Interval::W1, Interval::Month1, Partial::Drop).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot resample 1W bars to 1M: a 1M bar is not a whole number of 1W bars"
    );
    assert!(Resampler::new(Interval::M1, Interval::M1, Partial::Keep).is_ok());
    let hours = frame(&[bar(T0, [1.0, 2.0, 0.5, 1.5], 1.0)], true);
    let four = resample(&hours, Interval::H1, Interval::H4, Partial::Keep).unwrap();
    assert_eq!(four, hours);
    assert_eq!(
        resample(&hours, Interval::H1, Interval::H1, Partial::Drop).unwrap(),
        hours
    );

    let ohlc = [1.0, 1.0, 1.0, 1.0];
    let at = |minutes: &[i64]| {
        frame(
            &minutes
                .iter()
                .map(|&m| minute(m, ohlc, 1.0))
                .collect::<Vec<_>>(),
            true,
        )
    };
    let err = resample(
        &at(&[0, 1, 3, 2]),
        Interval::M1,
        Interval::M5,
        Partial::Keep,
    )
    .unwrap_err();
    assert_eq!(
        err,
        ResampleError::Unsorted {
            row: 3,
            ts: T0 + 2 * MINUTE,
            previous: T0 + 3 * MINUTE
        }
    );
    assert!(err.to_string().starts_with("row 3 "), "{err}");
    let err = resample(&at(&[0, 1, 1]), Interval::M1, Interval::M5, Partial::Keep).unwrap_err();
    assert_eq!(
        err,
        ResampleError::Duplicate {
            row: 2,
            ts: T0 + MINUTE
        }
    );
    let mut off_grid = at(&[0, 1]);
    off_grid.ts[1] += 30_000;
    let err = resample(&off_grid, Interval::M1, Interval::M5, Partial::Keep).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "row 1 (ts {}) is not the open time of a 1m bar",
            T0 + 90_000
        )
    );
    let mut ragged = at(&[0, 1]);
    ragged.low.pop();
    let err = resample(&ragged, Interval::M1, Interval::M5, Partial::Keep).unwrap_err();
    assert!(matches!(err, ResampleError::Frame(_)), "{err}");

    // The streaming form refuses the same rows and carries on as if they never came.
    let mut stream = Resampler::new(Interval::M1, Interval::M5, Partial::Keep).unwrap();
    assert_eq!(stream.push(minute(3, ohlc, 1.0)), Ok(None));
    assert!(matches!(
        stream.push(minute(2, ohlc, 1.0)),
        Err(ResampleError::Unsorted { row: 1, .. })
    ));
    assert!(matches!(
        stream.push(minute(3, ohlc, 1.0)),
        Err(ResampleError::Duplicate { row: 1, .. })
    ));
    assert_eq!(stream.push(minute(4, ohlc, 2.0)), Ok(None));
    assert_eq!(stream.finish(), Some(bar(T0, ohlc, 3.0)));
    assert_eq!(stream.finish(), None);
}

/// Generated minutes with holes in the first 15 000: single missing bars and a missing
/// stretch.
fn holed_minutes(bars: usize, with_quote: bool) -> BarFrame {
    let full = generate(&GeneratorSpec::new(21, bars)).expect("a valid spec");
    let mut out = BarFrame::empty(with_quote);
    for (i, row) in full.rows().enumerate() {
        if i >= 15_000 || (i % 97 != 5 && !(3_000..3_300).contains(&i)) {
            out.push(row);
        }
    }
    out
}

fn stream(input: &BarFrame, from: Interval, to: Interval, partial: Partial) -> BarFrame {
    let mut resampler = Resampler::new(from, to, partial).expect("valid intervals");
    let mut out = BarFrame::empty(input.quote_volume.is_some());
    for row in input.rows() {
        if let Some(bar) = resampler.push(row).expect("sorted rows") {
            out.push(bar);
        }
    }
    if let Some(bar) = resampler.finish() {
        out.push(bar);
    }
    out
}

#[test]
fn streaming_gives_the_batch_bars() {
    for with_quote in [true, false] {
        let input = holed_minutes(30_000, with_quote);
        for to in [
            Interval::M1,
            Interval::M5,
            Interval::M15,
            Interval::H1,
            Interval::H4,
            Interval::D1,
            Interval::W1,
        ] {
            for partial in [Partial::Keep, Partial::Drop] {
                let batch = resample(&input, Interval::M1, to, partial).unwrap();
                // Thirty thousand minutes hold no complete week.
                assert_eq!(
                    batch.is_empty(),
                    (to, partial) == (Interval::W1, Partial::Drop)
                );
                let streamed = stream(&input, Interval::M1, to, partial);
                // Bit for bit (no NaN in generated data, so `==` is exact).
                assert_eq!(streamed, batch, "{to} {partial:?}");
            }
        }
    }
    // A complete bucket comes out with its last source bar, not a bar later.
    let input = generate(&GeneratorSpec::new(2, 10)).unwrap();
    let mut resampler = Resampler::new(Interval::M1, Interval::M5, Partial::Drop).unwrap();
    let out: Vec<Option<Row>> = input.rows().map(|r| resampler.push(r).unwrap()).collect();
    assert!(out[..4].iter().all(Option::is_none) && out[4].is_some() && out[9].is_some());
}

#[test]
fn coarser_through_an_intermediate_interval_agrees() {
    let input = holed_minutes(20_000, true);
    for partial in [Partial::Keep, Partial::Drop] {
        let direct = resample(&input, Interval::M1, Interval::H1, partial).unwrap();
        let fives = resample(&input, Interval::M1, Interval::M5, partial).unwrap();
        let via = resample(&fives, Interval::M5, Interval::H1, partial).unwrap();
        assert_eq!(direct.ts, via.ts);
        assert_eq!((&direct.open, &direct.high), (&via.open, &via.high));
        assert_eq!((&direct.low, &direct.close), (&via.low, &via.close));
        for (a, b) in direct.volume.iter().zip(&via.volume) {
            assert!((a / b - 1.0).abs() < 1e-12);
        }
    }
}
