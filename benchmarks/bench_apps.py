"""Voilà apps: first widget painted in headless Chromium against a trivial-notebook floor.

For each app (and for a trivial one-widget notebook served the same way, the floor), the time
from the request to the first widget painted, the page weight (bytes over the wire, gzip
included, from Chromium's `Network.loadingFinished` encodedDataLength; the uncompressed size
and the websocket bytes beside it) and the requests that left the machine (must be 0). Then
whether idle kernels are culled, and the learning-session indicator change for the 24-team
demo and for 100 teams (the demo's teams cloned with perturbed counts; in-process, the
kernel-side time). Run: .venv/bin/python benchmarks/bench_apps.py
(`--apps learning_session` paints only the floor and that app; `--only paint|cull|redraw`
runs one part; `--repeats N`; `--only steps --big-db DB`: the scale sequence in process, CPU
seconds per step, on the demo and DB).

Measured 2026-11-28 (2 cores, load average ~6 from other work, so read the ratios): first
widget × floor (5.2 s): learning_session 2.33, coach 1.03, pdsa_journal 1.00, data_entry 1.10,
validation_queue 0.92; every page 1.76-1.84 MB over the wire with gzip (6.2-6.3 MB raw), plus
websocket 0.01-1.01 MB (learning_session the most); 0 outside requests; idle kernel culled;
indicator change 0.18 s for 24 teams, 0.28 s for 100 teams (app built before the request:
6.4 s and 22 s).

After the learning-session charts were attached once the first view is painted (and the first
widget timed in the page, see PAINT_PROBE), 2026-11-28, load average ~5: `--apps
learning_session --repeats 5`: floor 3.02 s, learning_session 2.91 s (0.96x), its charts on
screen at 6.8 s, websocket 0.91 MB; indicator change 0.16 s (24 teams), 0.36 s (100 teams).

30 viewers opening the learning session at once (`--only viewers`: HTTP requests with a
browser's navigation headers, no websocket, so each kernel stays as an open tab's would),
2026-12-01, load average 10-17 from other work: 1 viewer (baseline, preheated): 1 kernel, 0.33
GB peak (server + kernels), page 0.06 s. No cap: 30 kernels (30x), 5.41 GB (16.5x), median page
119 s (every kernel building at once on 2 cores). Default cap (16 in all, 10 per app): 10
kernels (10x), 1.92 GB (5.9x), median page of the 10 served 56 s, the 20 others the busy page
in 0.44 s (503, retrying by itself).

The same with 30 Chromium pages (`--browser-viewers`), 2026-12-01, load average 45-90 (other
engineers' runs plus these 30 pages): the baseline page painted its first widget in 2.79 s;
with 30 at once no page painted within 300 s, capped or not: the kernels sat idle, unconnected,
while the starved browser loaded its scripts, and the then 120 s cull shut them down (30 of 30
without the cap, 10 of 10 with it; the busy pages retried by themselves and took the freed
places: 20 kernels). Peak memory 5.34 GB without the cap, 2.16 GB with it. Hence the idle
timeout of 300 s; a figure for first paint under 30 real viewers (each on their own computer)
needs a machine that is not also running the 30 browsers.

30 viewers of one view, the live app against the shared snapshot ("Share this view",
`--only snapshot`: the same `workbench serve`, the snapshot fetched as a plain file from
`/voila/snapshots/`, HTTP with navigation headers and gzip), 2026-12-01, load average 19-47
from other work: live app 30 kernels, 5.92 GB peak (5.62 GB more than the idle server),
median page 190.8 s (max 193.5 s); snapshot 0 kernels, 0.29 GB peak (the idle server with
its preheated kernel; nothing measurable added), median page 4.62 s (max 9.10 s) for the
1.5 MB page: peak memory 0.05x, median page 0.024x. Writing the snapshot took 13.1 s once
(3.7 s on a quieter machine).

The learning session at scale (`--only scale --repeats 1 --big-db` a `workbench demo --teams
2000 --indicators 10 --months 36 --build-only` database), 2026-12-01, load average 15-27 from
other work (one run each, so noisy: read the ratios): first widget painted, demo (48 teams)
5.6 s, 2,000 teams 18.3 s (3.3x); charts on screen 62 s / 99 s (1.6x). ?presentation=1 against
the normal page: charts 1.40x (demo) and 1.45x (2,000 teams), within the 1.5x goal; its first
widget 6.4x / 2.3x. Filter sequence in the page (action to the redraw painted), demo / 2,000
teams: indicator 30.5 / 23.7 s, district 17.6 / 19.3, wave 12.8 / 31.8, month 15.6 / 104.2 (a
new month recomputes every team's analytics: 6.7x), presentation 27.1 / 33.2, next page - / 9.3,
search 10.2 / 9.8. In-process (no browser, load ~13): a page change 0.7-1.0 s at 200 teams
(panels patched in place; 8.8 s when the grid was drawn anew), an indicator change 0.4 s.

After the analytics were computed on demand and kept per "as of" date and month
(`workbench.apps.session_analytics`: a month change reads nothing from the store and charts
the indicator shown for every team plus the page's teams for every indicator, 2,000 series
instead of 20,000) and `?presentation=1` sized its charts after the first paint, 2026-12-02,
the same command, load average 10-18 from other engineers' runs (one run each: noisy):
first widget demo 2.84 s, 2,000 teams 5.99 s (2.1x; was 3.3x); month change at 2,000 teams
56.6 s (was 104.2 s; demo 3.6 s); indicator 48.9, district 33.8, wave 58.6, presentation
138.3, next page 68.3, search 47.3 s; charts on screen 28.9 s / 71.5 s. ?presentation=1
against the normal page: first widget 1.21x (demo; was 6.4x) and 4.66x (2,000 teams; was
2.3x), charts 1.83x / 2.68x (the presentation charts are now sized after the paint; were
1.40x / 1.45x). In-process at 2,000 teams (CPU seconds, the wall clock being 4-17x that
under this load): app built 28.3 s, a month change 5.9 s, back to the month before 2.5 s.

After the panels and the share at target were kept per as-of date and month, the overview
and the page's matrix computed in one batch, the most-improved changes read from the ranked
teams' cycles only, and presentation mode laid the same panels out anew from render bundles
prepared in the preheated kernel for both modes, 2026-12-02, in-process at 2,000 teams (CPU
seconds, the bench's filter sequence in one app; before -> after, the same base, within the
hour, load 5-8): indicator 3.9 -> 2.1, district 2.0 -> 1.0, wave 2.7 -> 1.5, month 6.1 -> 4.1
(another month 7.0 -> 3.8, back to a month seen 3.6 -> 0.5), presentation 9.9 -> 2.6 (1.0 s
before any filter change: the prepared bundles), next page 2.8 -> 1.1, search 2.3 -> 0.4;
app built 27.3 -> 30.5 (both modes' bundles). In the browser (`--only scale --repeats 1
--big-db`, one run each, load 7-10 before and 10-13 after, other engineers' runs and a
journey: noisy), demo / 2,000 teams: first widget 4.0 / 3.3 s -> 4.7 / 4.6 s (1.0x);
charts on screen 37.9 / 28.5 -> 35.9 / 42.4 s; presentation charts / normal 1.54x / 1.80x
-> 0.87x / 1.79x; steps at 2,000 teams (x the demo in the same run): indicator 25.5 (1.4x)
-> 41.0 (1.5x), district 24.0 (1.9x) -> 33.9 (3.2x), wave 38.7 (5.9x) -> 29.2 (3.1x), month
29.1 (5.7x) -> 34.7 (6.6x), presentation 74.2 (14.3x) -> 25.3 (2.5x), next page 29.4 ->
13.8, search 22.9 (7.6x) -> 15.3 (3.8x). The kernel's share is the CPU above times the
load's slowdown; under load 10 the browser's drawing of 48 panels (the demo's page too)
dominates what is left.

After a redraw's patch became three comm messages with its arrays inline (it was three plus
two per array, bokeh's binary buffers: ~1,350 comm messages for a page of 48 panels, each
signed by the kernel, forwarded by the server, parsed and dispatched by the browser; the grid's
patch 450-490 kB -> 280-320 kB, gzip inside the base64), a month's rows cut from groups made
once per as-of date, and the most-improved table kept until its inputs change, 2026-12-02,
`--only scale --repeats 1 --big-db` the shared 2,000 x 10 x 36 demo, one run each, the base
(c597203) at 07:18-07:28 (load 4-11) then this branch at 07:33-07:44 (load 7-9, the app tests
running beside it): seconds, demo / 2,000 teams, before -> after: indicator 8.7 / 15.2 ->
11.8 / 12.3, district 11.2 / 12.5 -> 8.7 / 8.5, wave 5.8 / 16.5 -> 4.9 / 13.3, month 4.5 /
27.0 -> 2.2 / 11.2, presentation 10.5 / 31.4 -> 2.5 / 21.9, next page - / 14.4 -> - / 7.8,
search 3.1 / 14.0 -> 1.8 / 7.2; first widget 2.3 / 3.3 -> 3.5 / 3.0 s, charts on screen 17.6 /
30.8 -> 35.6 / 23.6 s. The demo's steps got faster too (its month and presentation steps patch
few panels after the district and wave filters), so the ratios at 2,000 teams stay 1.0-5x
(presentation 8.8x: 48 panels drawn anew against the demo's handful). In-process at 2,000 teams,
CPU seconds per step of the same sequence, base -> this branch, alternating runs at load 9-11:
indicator 1.67 -> 1.65, district 0.81 -> 0.81, wave 1.16 -> 1.10, month 3.19 -> 2.64, another
month 3.19 -> 2.08, presentation 2.27 -> 2.23, next page 0.97 -> 0.82, search 0.34 -> 0.25.

After presentation mode became one document patch per chart (no chart serialised whole) and
the workbench template (`static/bokeh-patch-layout.js`) made BokehJS lay a patch out once
after its last change (it laid the grid out and painted it on each of ~100 size changes:
presentation at 2,000 teams took 182 s in Chromium with the patch alone), stopped
jupyter_bokeh echoing the patch's own changes back to the kernel (~250 comm messages, every
data array, on a month change of 48 panels -> 5) and answered BokehJS's per-paint reads of
`--bk-*` CSS variables (the workbench sets none) and of a plot's font size without forcing
Chromium to compute the page's styles (~900 times for 48 panels), 2026-12-02, `--only scale
--repeats 1 --big-db` a copy of the shared 2,000 x 10 x 36 demo, one run each, base (09fb842)
at 11:44-11:47 (load 2.5-3) then this branch at 11:47-11:50 (load 2.6-3.7), seconds, 2,000
teams (x the demo in the same run), base -> branch: indicator 2.90 (1.6x) -> 2.73 (3.0x),
district 2.26 (1.3x) -> 1.97 (1.2x), wave 3.59 (3.0x) -> 2.46 (1.8x), month 3.24 (4.7x) ->
3.50 (6.1x), presentation 6.79 (6.3x) -> 3.92 (5.8x), next page 3.21 -> 2.40, search 2.87
(4.1x) -> 1.90 (2.8x); first widget 1.38 (1.0x) -> 1.28 (0.9x), charts on screen 5.36 (1.0x)
-> 4.88 (1.0x). The demo's steps after the district and wave filters draw a handful of
panels (0.6-1.6 s), so the ratios of the month and presentation steps stay above the 2x goal;
what is left of them at 2,000 teams is mostly the kernel's (below). In process, CPU seconds
per step at 2,000 teams (`--only steps`; two alternating runs each at load 7-9, base ->
branch): indicator 1.33/1.22 -> 1.09/1.10, district 0.56/0.61 -> 0.57/0.57, wave 0.75/0.81
-> 0.78/0.75, month 1.49/1.54 -> 1.48/1.29, presentation 2.39/2.42 -> 0.64/0.61, next page
0.55/0.56 -> 0.96/0.85, search 0.17/0.17 -> 0.18/0.16, another month 1.37/1.43 ->
1.48/1.36, back to normal mode 2.01/2.02 -> 0.65/0.61.

The scale sequence also prints each step's CPU seconds in the server and its kernels and the
busy time of the page's main thread in Chromium (DevTools TaskDuration: wall time of its
tasks, so it too swells with the machine's load), and times the steps once the pool's next
kernel is preheated (it preheated beside the first steps: ~16 s of CPU at 2,000 teams).
After the PDSA events kept per as-of date, the overview's statuses and gains of the teams
selected only, the app's data frozen out of the garbage collector's full collections (a
~0.6 s full collection fell on whichever step triggered it: last round's dearer next page),
the text models of a chart walked once, and the template keeping the plots' computed sizes
in the page (~205 comm messages to the kernel on a switch to presentation mode -> 1) and
reading their base font size once per task: 2026-12-02, base 0254f71 then this branch,
`--only scale --repeats 1 --big-db` a copy of the shared 2,000 x 10 x 36 demo, 14:22-14:36,
load 5-7.5 (the machine shared by ~8 engineers), at 2,000 teams (x the demo in the same run),
base -> branch: seconds: indicator 5.26 (1.7x) -> 4.08 (2.1x), district 2.80 -> 2.22, wave
6.16 (1.6x) -> 3.00 (1.5x), month 5.75 (4.1x) -> 4.46 (5.9x), presentation 6.51 (3.1x) ->
6.38 (9.2x), next page 4.02 -> 2.92, search 2.96 (1.4x) -> 1.81 (1.9x); server CPU: indicator
1.29 -> 1.05, wave 1.39 -> 0.86, month 1.64 -> 1.02, presentation 1.35 -> 0.39, next page
0.69 -> 0.58, search 0.22 -> 0.22. The demo's own steps were faster in the branch's run
(month 1.39 -> 0.75 s), so its ratios read worse; the absolute times and CPU seconds at
2,000 teams fell. What is left is mostly Chromium's: at 2,000 teams a step redraws a page of
48 panels, after the district and wave filters the demo's redraws 5. In process, CPU seconds
at 2,000 teams (`--only steps`, 14:35-14:37, load 4-6), base -> branch: indicator 1.25 ->
0.78, district 0.61 -> 0.55, wave 0.80 -> 0.70, month 1.45 -> 0.76, presentation 0.62 ->
0.33, next page 1.07 -> 0.47, search 0.17 -> 0.16, another month 1.50 -> 0.76, back to normal
mode 0.64 -> 0.33; the app built before the request 18.7 -> 15.6.

After plots far outside the window were drawn only when they come near it (the template's
`bokeh-patch-layout.js`, part 5) and a change's charts below the small multiples were computed
once the panels' patch was sent (`LearningSessionApp.update`), 2026-12-02, main (9c0e69c)
against this branch, `--only scale --repeats 1 --big-db` a copy of the shared 2,000 x 10 x 36
demo, NUMPY_MADVISE_HUGEPAGE=0 for both, two pairs alternating (base, branch 17:40-17:48; branch,
base 17:48-17:57), load 2.3-5.2 from the other engineers, seconds at 2,000 teams (x the demo's
step in the same run), base -> branch: month 1.86 (3.6x), 2.27 (4.1x) -> 1.86 (1.7x), 1.38
(0.9x); presentation 2.62 (4.8x), 3.26 (4.9x) -> 3.45 (3.3x), 1.76 (2.3x); next page 1.79, 1.98
-> 1.41, 1.70; indicator 1.84 (1.9x), 1.96 (1.6x) -> 2.33 (1.1x), 3.52 (2.2x); search 1.50,
4.33 -> 0.95, 1.51. The demo's own steps read slower in the branch's runs (month 0.52, 0.55 ->
1.09, 1.59 s), so the ratios are noisy; read the seconds and CPU. Server CPU at 2,000 teams:
month 0.82, 0.86 -> 0.94, 0.91 (the same work, in two parts); presentation 0.39, 0.41 -> 0.42,
0.39. Chromium's page (TaskDuration) at 2,000 teams: month 1.22, 1.53 -> 1.31, 0.97;
presentation 2.43, 3.04 -> 2.52, 1.46. A Chromium CPU profile of the steps (unminified BokehJS,
16:35-17:05, load 2-5): a month change's paint 0.70 -> 0.28 s, a switch to presentation mode's
page task 11.7 -> 1.7 s (the off-screen panels no longer resized and drawn), the screenshots of
the window after every step identical to main's.

After a live app's panels were made in one pass over the SPC frame
(`workbench.charts.payload.small_multiples_panels`: no hover text, float arrays straight
from the frame's columns, events and phases from array slices), 2026-12-02, main (7f6b3ee)
against this branch, NUMPY_MADVISE_HUGEPAGE=0. `--only steps --big-db` a copy of the shared
2,000 x 10 x 36 demo (23:49-23:50, load 0.8), CPU seconds, base -> branch: month 1.00 ->
0.68 at 2,000 teams (demo 0.36 -> 0.32: 2.8x -> 2.1x), another month 0.81 -> 0.66, next page
0.53 -> 0.28. A page's 48 panels' data alone: 0.24 -> 0.05 s. `--only scale --repeats 2`
(branch 23:31-23:38, load 4-5; base 23:38-23:42, load 5 -> 1.7: one sequence each, noisy):
month 1.10 s (1.4x) -> vs base 1.00 s (1.7x); server CPU 0.71 vs 0.72, browser CPU 1.03 vs
0.66: no difference beyond the noise. Screenshots of the window after a month change at
2,000 teams (top and scrolled) identical, pixel for pixel, to main's.

After a switch of mode moved the panels without bokeh walking the document's models again
(`learning_session._in_order`) and the template laid a patch out once (also the children
BokehJS puts in place after it), held the paints a patch asks for at the next frame, left the
plots far from the window out of the chart's layout (each laid out alone when drawn), and kept
style sheets given the text they hold (one style recalculation for the panels' tick labels
instead of 48), 2026-12-02, main (7f6b3ee) then this branch, `--only scale --repeats 2
--big-db` a copy of the shared 2,000 x 10 x 36 demo, NUMPY_MADVISE_HUGEPAGE=0, 23:14-23:28,
load 3-7, at 2,000 teams (x the demo in the same run), base -> branch: presentation 3.38 s
(4.6x) -> 1.25 s (2.5x; the demo's own step 0.73 -> 0.50 s); its server CPU 0.44 -> 0.07,
browser CPU (TaskDuration) 2.67 -> 1.16. In process (`--only steps`, load 7-10): presentation
0.56 -> 0.03, back to normal mode 0.46 -> 0.04 CPU seconds. A Chromium trace of the step
(unminified BokehJS): the patch's task 1.69 s with 220 style recalculations -> 1.06 s with 20;
screenshots at 2,000 teams after presentation, next page, normal mode and presentation again,
scrolled down four windows each, pixel-identical to main's.

After a month change computed the overview's statuses and the page's matrix in one batch of
the library functions (`MonthAnalytics.ensure_pairs(..., along=)`: each call of chart_view,
signal_status and status_matrix costs ~0.05 s whatever its size), in one
`shared_preparation` block; the gains of the teams selected from the team rows alone
(`gain_from_baseline(levels=("team",))` no longer pools the waves and the collaborative it
then drops); the matrix of no pair made once per as-of date; the funnel's rows cut from the
indicator's kept rows instead of a compare over all 720,000 measurements, 2026-12-03,
`--only steps --big-db` a copy of the shared 2,000 x 10 x 36 demo, NUMPY_MADVISE_HUGEPAGE=0,
five alternating pairs (03:06-03:29, load 0.9-1.3; the CPU seconds of one step still vary
by 1.5x from run to run, the demo's too), CPU seconds at 2,000 teams (x the demo's step in the
same run), main (0c7be69) -> this branch: month 0.69 (1.68x), 0.66 (1.35x), 0.61 (2.26x),
0.85 (2.58x), 0.58 (1.49x) -> 0.47 (1.38x), 0.52 (1.21x), 0.58 (1.61x), 0.64 (1.52x), 0.66
(1.94x): medians 0.66 s (1.68x) -> 0.58 s (1.52x); another month (medians) 0.63 -> 0.54-0.59;
next page 0.29 -> 0.26; other steps unchanged. Two earlier pairs against main (cc4e0ce,
02:48-03:05, load 1.3-3.8): month 0.63, 0.71, 0.63, 1.03 -> 0.52, 0.46, 0.46, 0.50.
Of a month step at 2,000 teams (445 teams selected, six months in a row, in process): the
analytics' batches 0.19 -> 0.12 s, the gains 0.066 -> 0.03 s; what is left is mostly the
charts below the panels rebuilt for the month (share at target ~0.06 s, funnel ~0.03 s,
matrix ~0.02 s) and the panels' patch (~0.06 s). Screenshots at 2,000 teams after two month
changes, scrolled down four windows each, pixel-identical to main's; the app's state (status,
overview, list, matrix, gains, panels' and charts' data) after 15 steps identical to main's
on the demo and at 2,000 teams.

In Chromium with `present` merged (main 0c7be69, before `month2`), `--only scale --repeats 1
--big-db` a copy of the shared 2,000 x 10 x 36 demo, 2026-12-03 03:19-03:24, load 1.4-2 (one
run: noisy), seconds at 2,000 teams (x the demo's step in the same run): indicator 1.44
(0.9x), district 0.86 (0.4x), wave 1.32 (0.8x), month 1.38 (1.5x), presentation 0.88 (1.3x),
next page 1.14, search 1.16 (1.0x); first widget 2.64 (1.7x), charts on screen 10.55 (2.1x);
?presentation=1 / normal charts 0.93x. Server CPU: month 0.75 (1.2x), presentation 0.07
(1.0x); Chromium's page: month 1.08 (2.2x), presentation 0.80 (1.3x). Every step within 2x of
the demo's though the demo's month and presentation steps draw 5 panels (after its district
and wave filters) and 2,000 teams' a page of 48 (the panels now printed per step).

Two more runs on merged main (c54f936's apps), the same command and database, 2026-12-03:
07:00-07:10 at load 4 (three helpers benchmarking) and 08:07-08:16 at load ~1, seconds at
2,000 teams (x the demo's step in the same run): indicator 4.58 (1.9x), 1.45 (1.2x); district
2.15 (0.4x), 0.74 (0.4x); wave 3.22 (1.1x), 1.31 (1.1x); month 4.19 (3.3x), 1.40 (2.5x);
presentation 1.28 (1.6x), 0.96 (2.2x); next page 2.17, 1.11; search 1.68 (1.1x), 0.97
(1.0x); first widget 0.8x, 0.9x; charts on screen 0.9x, 0.9x; ?presentation=1 / normal
charts 1.34x, 1.00x. Server CPU of the month step 0.91 (1.8x), 0.72 (1.6x). The month and
presentation steps redraw 48 panels at 2,000 teams and 5 in the demo; against the demo's step
that redraws 48 (its indicator change, 2.41 and 1.25 s) they are 1.7x and 1.1x (month), 0.5x
and 0.8x (presentation).
"""

from __future__ import annotations

import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

from workbench.apps.server.serve import REFILL_DELAY_SECONDS, app_names, start_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
QUERIES = {"coach": "team=T03", "pdsa_journal": "team=T01", "data_entry": "team=T02"}
#: what "the charts are there" means for apps whose charts are attached after the first paint
CHARTS_SELECTOR = {"learning_session": "canvas"}
REPEATS = 3


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _apps_folder(root: Path) -> Path:
    """The real apps plus `floor.ipynb`: one widget, displayed after the request like the apps."""
    folder = root / "apps"
    shutil.copytree(Path(__file__).resolve().parent.parent / "voila_apps", folder)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\n"
                                          "from workbench.apps.context import app_context"),
                nbformat.v4.new_code_cell("context = app_context()\n"
                                          "w.HTML('<div class=\"wb-title\">floor</div>')")]
    nbformat.write(nb, folder / "floor.ipynb")
    return folder


#: in the page: when an element first appears, the time of the next animation frame (the frame
#: that paints it), in ms since navigation start. Measured in the page because Playwright's own
#: polling runs on the page's main thread: while BokehJS draws for seconds right after the
#: first paint, `wait_for_selector` reports the title only when the drawing ends.
PAINT_PROBE = """window.__wbPaint = {};
new MutationObserver(function () {
  for (const sel of %s) {
    if (!(sel in window.__wbPaint) && document.querySelector(sel)) {
      window.__wbPaint[sel] = null;
      requestAnimationFrame(function () { window.__wbPaint[sel] = performance.now(); });
    }
  }
}).observe(document, {subtree: true, childList: true});"""


def _paint(browser, url: str, charts: str | None = None  # type: ignore[no-untyped-def]
           ) -> tuple[float, int, int, int, int, float]:
    """(seconds to the first widget, wire bytes, uncompressed bytes, websocket bytes received,
    requests leaving the machine, seconds to the first chart or NaN) of one fresh page view.
    The first widget: from navigation start to the frame that paints it (`PAINT_PROBE`)."""
    import json

    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(PAINT_PROBE % json.dumps([".wb-title"]))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    wire, raw, ws = [0], [0], [0]
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(0, wire[0]
                                                                 + e["encodedDataLength"]))
    cdp.on("Network.dataReceived", lambda e: raw.__setitem__(0, raw[0] + e["dataLength"]))
    cdp.on("Network.webSocketFrameReceived", lambda e: ws.__setitem__(
        0, ws[0] + len(e["response"]["payloadData"])))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else None)
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".wb-title", timeout=120_000)
    chart_seconds = float("nan")
    if charts:  # inside bokeh's shadow DOM: Playwright's clock (it pierces shadow roots)
        page.wait_for_selector(charts, timeout=120_000)
        chart_seconds = time.perf_counter() - start
    page.wait_for_function("window.__wbPaint['.wb-title'] != null")
    seconds = page.evaluate("window.__wbPaint['.wb-title']") / 1000
    page.wait_for_load_state("load")
    try:
        page.wait_for_load_state("networkidle", timeout=15_000)
    except Exception:  # noqa: BLE001 - a slow straggler: count what arrived
        pass
    context.close()
    return seconds, wire[0], raw[0], ws[0], len(outside), chart_seconds


def _wait_preheated(server, count: int, timeout: float = 240) -> None:  # type: ignore[no-untyped-def]
    from workbench.apps.context import READY_MARK

    deadline = time.monotonic() + timeout
    while server.log_text().count(READY_MARK) < count and time.monotonic() < deadline:
        time.sleep(0.3)


def bench_paint(db: str, root: Path, only: list[str] | None = None,
                repeats: int = REPEATS) -> None:
    from playwright.sync_api import sync_playwright

    folder = _apps_folder(root)
    apps = ["floor"] + [a for a in app_names(folder)[:5] if not only or a in only]
    server = start_server(db, port=_port(), apps_dir=folder, log_path=root / "voila.log")
    try:
        server.wait_ready(timeout=300)
        results: dict[str, list[tuple]] = {a: [] for a in apps}
        ready = server.log_text().count("[workbench] app preheated")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(repeats):
                for app in apps:
                    _wait_preheated(server, ready)  # every pool refilled: measure preheated
                    results[app].append(_paint(browser, server.url(app, QUERIES.get(app, "")),
                                               CHARTS_SELECTOR.get(app)))
                    ready += 1
            browser.close()
    finally:
        server.stop()
    attached = [line.split("(")[-1].rstrip(")") for line in server.log_text().splitlines()
                if "charts attached" in line]
    if attached:
        print(f"learning-session charts attached after: {', '.join(attached)}")
    floor = statistics.median(r[0] for r in results["floor"])
    print(f"{'app':<18}{'first widget s':>15}{'x floor':>9}{'wire MB':>9}{'raw MB':>8}"
          f"{'ws MB':>7}{'outside req':>12}{'charts s':>10}")
    for app in apps:
        t = statistics.median(r[0] for r in results[app])
        wire, raw, ws = (statistics.median(r[i] for r in results[app]) / 1e6 for i in (1, 2, 3))
        out = max(r[4] for r in results[app])
        charts = statistics.median(r[5] for r in results[app])
        print(f"{app:<18}{t:>15.2f}{t / floor:>9.2f}{wire:>9.2f}{raw:>8.2f}{ws:>7.2f}{out:>12d}"
              f"{'' if np.isnan(charts) else f'{charts:>10.2f}'}"
              f"   runs: {', '.join(f'{r[0]:.2f}' for r in results[app])}")


def scaled_demo(demo_db: str, target: Path, teams: int = 100) -> str:
    """A copy of the demo with `teams` teams: T25.. clone T01..T24 (same district and wave),
    every numerator moved by a seeded -2..+2 (kept within 0..denominator). Deterministic."""
    from sqlalchemy import select

    from workbench.store import open_engine
    from workbench.store import schema as s

    shutil.copy(demo_db, target)
    engine = open_engine(str(target))
    with engine.begin() as conn:
        base = [dict(r) for r in conn.execute(select(s.teams).order_by(s.teams.c.team_id))
                .mappings()]
        revs = [dict(r) for r in conn.execute(select(s.measurement_revisions).where(
            s.measurement_revisions.c.source == "demo")).mappings()]
        by_team: dict[str, list[dict]] = {}
        for rev in revs:
            rev.pop("revision_id")
            by_team.setdefault(rev["team_id"], []).append(rev)
        new_teams, new_revs = [], []
        for number in range(len(base) + 1, teams + 1):
            source = base[(number - 1) % len(base)]
            team_id = f"T{number:02d}"
            rng = np.random.default_rng(number)
            new_teams.append({**source, "team_id": team_id, "name": f"Facility {number}"})
            for rev in by_team.get(source["team_id"], []):
                num, den = rev["numerator"], rev["denominator"]
                if num is not None and den is not None:
                    num = float(min(den, max(0.0, num + int(rng.integers(-2, 3)))))
                new_revs.append({**rev, "team_id": team_id, "numerator": num})
        conn.execute(s.teams.insert(), new_teams)
        conn.execute(s.measurement_revisions.insert(), new_revs)
    engine.dispose()
    return str(target)


def bench_redraw(db: str, label: str) -> float:
    """Indicator change of the learning-session app (kernel side: data, figures, patches)."""
    from workbench.apps.builders import build_learning_session_app
    from workbench.apps.context import AppContext

    start = time.perf_counter()
    app = build_learning_session_app(db)
    app.present(AppContext())
    built = time.perf_counter() - start
    times = []
    for code in ("PPH", "AMTSL", "PARTOGRAPH", "NEWBORN_CARE", "ASPHYXIA", "AMTSL"):
        start = time.perf_counter()
        app.indicator.value = code
        times.append(time.perf_counter() - start)
        assert app.last_redraw["multiples"] == "patched", app.last_redraw
    median = statistics.median(times)
    print(f"learning-session indicator change, {label} ({app.last_redraw['teams']} teams): "
          f"median {median:.2f} s ({', '.join(f'{t:.2f}' for t in times)}); "
          f"app built before the request in {built:.1f} s")
    return median


def bench_culling(db: str, root: Path) -> None:
    """A crawler's page view (no websocket): is its kernel culled when idle?"""
    import urllib.request

    server = start_server(db, port=_port(), app="coach", log_path=root / "cull.log",
                          cull_idle_timeout=5, cull_interval=2)
    try:
        server.wait_ready(timeout=240)
        urllib.request.urlopen(server.url("coach", "team=T01")).read()
        time.sleep(15)
        culled = "Culling kernel" in server.log_text() or "culled" in server.log_text().lower()
        print(f"idle kernel of a crawler's page view culled within 15 s: {culled}")
    finally:
        server.stop()


#: the headers of a page a person opens (typed, bookmarked): `workbench serve` admits them
NAVIGATION = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate",
              "Sec-Fetch-Dest": "document", "Accept": "text/html"}
VIEWERS = 30
VIEWERS_APP = "learning_session"
#: a browser viewer whose first widget is not painted within this is counted as "other"
PAINT_TIMEOUT_MS = 300_000


class _TreeRSS:
    """Peak resident memory of a process and all its descendants (the server and its kernels),
    sampled every `interval` seconds in a thread until `stop()`."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        import threading

        import psutil

        self._root, self._interval, self.peak = psutil.Process(pid), interval, 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def now(self) -> int:
        import psutil

        total = 0
        try:
            procs = [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.peak = max(self.peak, self.now())
            self._stopped.wait(self._interval)

    def stop(self) -> int:
        self._stopped.set()
        self._thread.join()
        return self.peak


def _http_viewer(url: str) -> tuple[int, float]:
    """One viewer opening the app as a browser would (navigation headers), no websocket: the
    HTTP status and the seconds to the whole page (the app's first view rendered in it)."""
    import urllib.error
    import urllib.request

    start = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=NAVIGATION),
                                    timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    return status, time.perf_counter() - start


def _browser_viewers(urls: list[str]) -> list[tuple[int, float]]:
    """Every viewer a Chromium page at once (one browser): status, seconds to the first widget
    painted (`PAINT_PROBE`) or, for a busy page, to its answer."""
    import asyncio
    import json

    from playwright.async_api import async_playwright

    async def one(browser, url: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
        context = await browser.new_context()
        page = await context.new_page()
        await page.add_init_script(PAINT_PROBE % json.dumps([".wb-title"]))
        start = time.perf_counter()
        response = await page.goto(url, wait_until="commit", timeout=600_000)
        status = response.status if response else 0
        if status == 200:
            try:
                await page.wait_for_function(
                    "window.__wbPaint && window.__wbPaint['.wb-title']", timeout=PAINT_TIMEOUT_MS)
            except Exception:  # noqa: BLE001 - never painted (its kernel culled, say): counted
                return -1, float("nan")
            seconds = await page.evaluate("window.__wbPaint['.wb-title']") / 1000
        else:
            seconds = time.perf_counter() - start
        return status, seconds  # the context stays open: the viewer keeps watching

    async def run() -> list[tuple[int, float]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            results = await asyncio.gather(*(one(browser, url) for url in urls))
            await browser.close()
            return list(results)

    return asyncio.run(run())


def _viewers_run(db: str, root: Path, viewers: int, label: str, browser: bool,
                 **caps: int) -> dict[str, float]:
    """`viewers` people opening the learning session at once on a fresh server."""
    from concurrent.futures import ThreadPoolExecutor

    server = start_server(db, port=_port(), app=VIEWERS_APP,
                          log_path=root / f"viewers-{label}.log", **caps)
    try:
        server.wait_ready(timeout=300)
        time.sleep(8)  # the pool settled
        started_before = server.log_text().count("Kernel started:")
        idle_rss = _TreeRSS(server.process.pid).stop()
        meter = _TreeRSS(server.process.pid)
        urls = [server.url(VIEWERS_APP, f"viewer={n}") for n in range(viewers)]
        start = time.perf_counter()
        if browser:
            results = _browser_viewers(urls)
        else:
            with ThreadPoolExecutor(max_workers=viewers) as pool:
                results = list(pool.map(_http_viewer, urls))
        wall = time.perf_counter() - start
        time.sleep(REFILL_DELAY_SECONDS + 4)  # the pool's replacement started, if any
        peak = meter.stop()
        started = server.log_text().count("Kernel started:") - started_before
    finally:
        server.stop()
    served = sorted(t for status, t in results if status == 200)
    busy = sorted(t for status, t in results if status == 503)
    return {"viewers": viewers, "served": len(served), "busy": len(busy),
            "other": viewers - len(served) - len(busy), "kernels": started,
            "peak_gb": peak / 1e9, "idle_gb": idle_rss / 1e9,
            "served_median": statistics.median(served) if served else float("nan"),
            "served_max": served[-1] if served else float("nan"),
            "busy_median": statistics.median(busy) if busy else float("nan"), "wall": wall}


def bench_viewers(db: str, root: Path, viewers: int = VIEWERS, browser: bool = False) -> None:
    """30 people open the learning session at once: kernels started, peak memory of the server
    and its kernels, time to the page, without and with the cap; ratios against one viewer on
    the same server (the baseline, measured first in the same run)."""
    from workbench.apps.server.serve_guard import DEFAULT_MAX_KERNELS, DEFAULT_MAX_KERNELS_PER_APP

    unlimited = {"max_kernels": 10_000, "max_kernels_per_app": 10_000}
    runs = [("1 viewer (baseline)", 1, unlimited),
            (f"{viewers} viewers, no cap", viewers, unlimited),
            (f"{viewers} viewers, cap {DEFAULT_MAX_KERNELS}/{DEFAULT_MAX_KERNELS_PER_APP} per app",
             viewers, {"max_kernels": DEFAULT_MAX_KERNELS,
                       "max_kernels_per_app": DEFAULT_MAX_KERNELS_PER_APP})]
    rows = []
    for label, count_, caps in runs:
        rows.append((label, _viewers_run(db, root, count_, label.split()[0] + str(len(rows)),
                                         browser, **caps)))
    what = "first widget painted (Chromium)" if browser else "whole page (HTTP)"
    base = rows[0][1]
    print(f"{VIEWERS_APP}: viewers at once; time to the {what}; "
          f"ratios (x) against the 1-viewer baseline")
    print(f"{'run':<34}{'served':>7}{'busy':>6}{'failed':>7}{'kernels':>8}{'x':>7}"
          f"{'peak GB':>9}{'x':>7}{'page s med':>11}{'x':>8}{'page s max':>11}{'busy s':>8}")
    for label, r in rows:
        print(f"{label:<34}{r['served']:>7}{r['busy']:>6}{r['other']:>7}{r['kernels']:>8}"
              f"{r['kernels'] / max(base['kernels'], 1):>7.1f}{r['peak_gb']:>9.2f}"
              f"{r['peak_gb'] / base['peak_gb']:>7.1f}{r['served_median']:>11.2f}"
              f"{r['served_median'] / base['served_median']:>8.0f}{r['served_max']:>11.2f}"
              f"{r['busy_median']:>8.2f}")
    print(f"(memory before the viewers, preheated pool only: {base['idle_gb']:.2f} GB)")


# ---------------------------------------------------------------------------------------------
# The learning session at scale: first paint (normal and ?presentation=1) and the filter
# sequence in Chromium, on the 24-team demo and on a large collaborative, ratios in one run.

#: the filter sequence of a learning session, each step as (name, what the page does)
SEQUENCE = ("indicator", "district", "wave", "month", "presentation", "next page", "search")
#: each step's figures: seconds to the redraw painted, then CPU seconds in the server and its
#: kernels and on the page's main thread in Chromium (`_filter_sequence`)
STEP_FIGURES = (*SEQUENCE, *(f"{name} {where} CPU" for where in ("server", "browser")
                             for name in SEQUENCE))
#: the number of redraws that reached the page (`LearningSessionApp._status_html`)
REDRAWS = "() => Number((document.querySelector('[data-redraws]') || {dataset: {}})" \
          ".dataset.redraws || -1)"
#: the small multiples on the page (what a step draws)
PANELS = """() => { for (const view of (window.Bokeh && Bokeh.index ? Bokeh.index.roots : []))
  if (view.el.isConnected && view.model.type == 'GridPlot') return view.model.children.length;
  return 0; }"""


def _learning_paint(browser, url: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(seconds to the first widget painted, seconds to the charts on screen) of one view;
    as `_paint` with the patience a 2,000-team collaborative on a loaded machine needs."""
    import json

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.add_init_script(PAINT_PROBE % json.dumps([".wb-title"]))
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=900_000)
    page.wait_for_selector("canvas", timeout=900_000)
    charts = time.perf_counter() - start
    page.wait_for_function("window.__wbPaint['.wb-title'] != null", timeout=900_000)
    seconds = page.evaluate("window.__wbPaint['.wb-title']") / 1000
    context.close()
    return seconds, charts


def _step(page, action) -> float:  # type: ignore[no-untyped-def]
    """Seconds from `action(page)` until the app's next redraw reached the page and the
    browser painted it (two animation frames later)."""
    before = page.evaluate(REDRAWS)
    start = time.perf_counter()
    action(page)
    page.wait_for_function(f"({REDRAWS})() > {before}", timeout=600_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                  "requestAnimationFrame(r)))")
    return time.perf_counter() - start


def _select(page, description: str, index: int = 1) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{description}')"))
    select = box.locator("select")
    values = select.evaluate("s => [...s.options].map(o => o.value)")
    select.select_option(value=values[min(index, len(values) - 1)])


def _server_cpu(pid: int) -> float:
    """CPU seconds so far of the Voilà server and every process under it (its kernels)."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
    except psutil.NoSuchProcess:
        pass
    return total


def _filter_sequence(browser, url: str, server_pid: int | None = None,  # type: ignore[no-untyped-def]
                     settled=None) -> dict[str, float]:
    """Seconds of each step of `SEQUENCE` on one page, once its charts are on screen; with
    `server_pid`, also each step's CPU seconds in the server and its kernels (`<step> server
    CPU`) and on the page's main thread in Chromium (`<step> browser CPU`, the DevTools
    protocol's TaskDuration): figures that the other work of a shared machine does not
    swell as it swells the wall clock. `settled()`: waits, once the charts are on screen, for
    what the page's opening started on the server (the pool's next kernel)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def browser_cpu() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))

    page.goto(url, wait_until="commit")
    page.wait_for_selector("canvas", timeout=600_000)
    page.wait_for_function(f"({REDRAWS})() >= 0", timeout=600_000)
    if settled is not None:
        settled()

    def search(pg) -> None:  # type: ignore[no-untyped-def]
        box = pg.get_by_placeholder("name or code")
        box.fill("Health Centre")
        box.press("Enter")

    actions = {
        "indicator": lambda pg: _select(pg, "Indicator", 1),
        "district": lambda pg: _select(pg, "District", 1),
        "wave": lambda pg: _select(pg, "Wave", 1),
        "month": lambda pg: _select(pg, "Month", 1),
        "presentation": lambda pg: pg.get_by_role("button", name="Presentation mode").click(),
        "next page": lambda pg: pg.get_by_role("button", name="Next ▶").click(),
        "search": search,
    }
    times: dict[str, float] = {}
    for name in SEQUENCE:
        if name == "next page" and not page.get_by_role("button", name="Next ▶").is_visible():
            times[name] = float("nan")  # one page of teams: nothing to page
            continue
        cpu = (_server_cpu(server_pid) if server_pid else 0.0, browser_cpu())
        times[name] = _step(page, actions[name])
        page.wait_for_timeout(300)  # what the step sent back after its paint
        if server_pid:
            times[f"{name} server CPU"] = _server_cpu(server_pid) - cpu[0]
        times[f"{name} browser CPU"] = browser_cpu() - cpu[1]
        times[f"{name} panels"] = float(page.evaluate(PANELS))
    context.close()
    return times


def bench_learning_scale(dbs: dict[str, str], root: Path, repeats: int = REPEATS) -> None:
    """For each collaborative: the learning session's first widget and charts, normal and
    `?presentation=1` (fresh preheated kernels), and the filter sequence in one page; ratios
    against the first collaborative (the 24-team demo) and presentation against normal."""
    from playwright.sync_api import sync_playwright

    rows: dict[str, dict[str, float]] = {}
    for label, db in dbs.items():
        server = start_server(db, port=_port(), app="learning_session",
                              log_path=root / f"scale-{label}.log")
        try:
            server.wait_ready(timeout=1800)
            ready = server.log_text().count("[workbench] app preheated")
            paints: dict[str, list[tuple[float, float]]] = {"normal": [], "presentation": []}
            sequences = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for _ in range(repeats):
                    for mode, query in (("normal", ""), ("presentation", "presentation=1")):
                        _wait_preheated(server, ready, timeout=1800)
                        paints[mode].append(_learning_paint(
                            browser, server.url("learning_session", query)))
                        ready += 1
                _wait_preheated(server, ready, timeout=1800)
                # the page takes the preheated kernel and the pool starts the next one: the
                # steps are timed once it is ready (a 2,000-team preheat, ~16 s of CPU, ran
                # beside the first steps and swelled their time and CPU seconds)
                sequences.append(_filter_sequence(
                    browser, server.url("learning_session"), server.process.pid,
                    lambda s=server, n=ready + 1: _wait_preheated(s, n, timeout=1800)))
                browser.close()
        finally:
            server.stop()
        row = {f"{mode} {what}": statistics.median(r[i] for r in runs)
               for mode, runs in paints.items() for i, what in ((0, "widget"), (1, "charts"))}
        row.update({name: statistics.median(s.get(name, float("nan")) for s in sequences)
                    for name in (*STEP_FIGURES, *(f"{n} panels" for n in SEQUENCE))})
        rows[label] = row
    base = next(iter(rows.values()))
    print("learning session: seconds (median); x: against the first collaborative; "
          "presentation x normal in the same run")
    columns = [*(f"{m} {w}" for m in ("normal", "presentation") for w in ("widget", "charts")),
               *STEP_FIGURES]
    print(f"{'step':<28}" + "".join(f"{label:>22}" for label in rows))
    for column in columns:
        cells = "".join(f"{r[column]:>12.2f} ({r[column] / base[column]:>5.1f}x)"
                        for r in rows.values())
        print(f"{column:<28}{cells}")
    print("panels on the page after each step (what a step draws): " + "; ".join(
        f"{label}: " + ", ".join(f"{name} {r.get(f'{name} panels', float('nan')):.0f}"
                                 for name in SEQUENCE) for label, r in rows.items()))
    for label, r in rows.items():
        print(f"{label}: presentation / normal first widget "
              f"{r['presentation widget'] / r['normal widget']:.2f}x, charts "
              f"{r['presentation charts'] / r['normal charts']:.2f}x (goal: within 1.5x)")
def bench_learning_steps(db: str, label: str) -> dict[str, float]:
    """CPU seconds of each step of `SEQUENCE` in one learning-session app built in process
    (no browser, no kernel: what the kernel computes and serialises), then another month and
    back to the normal mode; the app's build before the request beside them."""
    from workbench.apps.builders import build_learning_session_app
    from workbench.apps.context import AppContext

    start = time.process_time()
    app = build_learning_session_app(db)
    app.present(AppContext())
    built = time.process_time() - start

    def second(dropdown, index: int = 1) -> str:  # type: ignore[no-untyped-def]
        values = [o[1] if isinstance(o, tuple) else o for o in dropdown.options]
        return str(values[min(index, len(values) - 1)])

    actions = {
        "indicator": lambda: setattr(app.indicator, "value", second(app.indicator)),
        "district": lambda: setattr(app.district, "value", second(app.district)),
        "wave": lambda: setattr(app.wave, "value", second(app.wave)),
        "month": lambda: setattr(app.month, "value", second(app.month)),
        "presentation": lambda: setattr(app.presentation, "value", True),
        "next page": lambda: app.go_to_page(app._page + 1),
        "search": lambda: setattr(app.team_search, "value", "Health Centre"),
        "another month": lambda: setattr(app.month, "value", second(app.month, 2)),
        "normal mode": lambda: setattr(app.presentation, "value", False),
    }
    times, panels = {}, {}
    for name, action in actions.items():
        start = time.process_time()
        action()
        times[name] = time.process_time() - start
        panels[name] = len(app.team_page.teams) if app.team_page is not None else 0
    print(f"learning session in process, {label} ({len(app.teams)} teams): CPU seconds, app "
          f"built {built:.2f}; " + ", ".join(f"{k} {v:.2f}" for k, v in times.items()))
    print("  panels on the page after each step (what a step draws): "
          + ", ".join(f"{k} {v}" for k, v in panels.items()))
    return times


#: the view the facilitator shares in `bench_snapshot_viewers`
SNAPSHOT_VIEW = {"indicator": "PPH", "district": "Kisoro"}


def _snapshot_fetch(url: str) -> tuple[int, float]:
    """One participant opening the shared snapshot (a plain file): status, seconds to the
    whole page over HTTP, gzip accepted as a browser does."""
    import urllib.error
    import urllib.request

    start = time.perf_counter()
    headers = {**NAVIGATION, "Accept-Encoding": "gzip"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - start


def _snapshot_browser_viewers(urls: list[str]) -> list[tuple[int, float]]:
    """Every participant a Chromium page at once: status, seconds to the snapshot's charts
    drawn (BokehJS has rendered its four roots)."""
    import asyncio

    from playwright.async_api import async_playwright

    async def one(browser, url: str) -> tuple[int, float]:  # type: ignore[no-untyped-def]
        context = await browser.new_context()
        page = await context.new_page()
        start = time.perf_counter()
        response = await page.goto(url, wait_until="commit", timeout=600_000)
        status = response.status if response else 0
        try:
            await page.wait_for_function("window.Bokeh && Bokeh.index && Bokeh.index.roots "
                                         "&& Bokeh.index.roots.length >= 4",
                                         timeout=PAINT_TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - never drawn: counted as failed
            return -1, float("nan")
        return status, time.perf_counter() - start

    async def run() -> list[tuple[int, float]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            results = await asyncio.gather(*(one(browser, url) for url in urls))
            await browser.close()
            return list(results)

    return asyncio.run(run())


def _snapshot_run(db: str, root: Path, viewers: int, browser: bool) -> dict[str, float]:
    """The facilitator shares one view; `viewers` participants open the snapshot at once from
    `workbench serve` (`/voila/snapshots/…`, a static file: no kernel)."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urljoin

    from workbench.apps.server.snapshot_files import SNAPSHOTS_ENV, snapshot_href
    from workbench.briefs.snapshot import ViewState, snapshot_file_name, write_snapshot
    from workbench.store import open_engine

    folder = root / "snapshots"
    state = ViewState(**SNAPSHOT_VIEW)
    start = time.perf_counter()
    engine = open_engine(db)
    path = write_snapshot(engine, state, folder / snapshot_file_name(state))
    engine.dispose()
    written = time.perf_counter() - start
    server = start_server(db, port=_port(), app=VIEWERS_APP, log_path=root / "snapshot.log",
                          extra_env={SNAPSHOTS_ENV: str(folder)})
    try:
        server.wait_ready(timeout=300)
        time.sleep(8)  # the pool settled
        started_before = server.log_text().count("Kernel started:")
        idle_rss = _TreeRSS(server.process.pid).stop()
        meter = _TreeRSS(server.process.pid)
        page = server.url(VIEWERS_APP)  # the app's page links to …/voila/snapshots/<file>
        url = urljoin(page, snapshot_href(path.name))
        begin = time.perf_counter()
        if browser:
            results = _snapshot_browser_viewers([url] * viewers)
        else:
            with ThreadPoolExecutor(max_workers=viewers) as pool:
                results = list(pool.map(_snapshot_fetch, [url] * viewers))
        wall = time.perf_counter() - begin
        time.sleep(2)
        peak = meter.stop()
        started = server.log_text().count("Kernel started:") - started_before
    finally:
        server.stop()
    served = sorted(t for status, t in results if status == 200)
    return {"viewers": viewers, "served": len(served), "busy": 0,
            "other": viewers - len(served), "kernels": started, "peak_gb": peak / 1e9,
            "idle_gb": idle_rss / 1e9,
            "served_median": statistics.median(served) if served else float("nan"),
            "served_max": served[-1] if served else float("nan"), "wall": wall,
            "written_s": written, "size_mb": path.stat().st_size / 1e6}


def bench_snapshot_viewers(db: str, root: Path, viewers: int = VIEWERS,
                           browser: bool = False) -> None:
    """30 viewers: 30 kernels of the live learning session against 30 participants opening
    the shared snapshot of one view (`workbench.briefs.snapshot`, served as a plain file by
    the same `workbench serve`): kernels, peak memory of the server and its kernels (and what
    the viewers added to the idle server), time to the page; ratios in the same run."""
    unlimited = {"max_kernels": 10_000, "max_kernels_per_app": 10_000}
    live = _viewers_run(db, root, viewers, "snapshot-vs-kernels", browser, **unlimited)
    snap = _snapshot_run(db, root, viewers, browser)
    what = ("page (Chromium: the app's first widget painted, the snapshot's charts drawn)"
            if browser else "whole page (HTTP)")
    print(f"{viewers} viewers of one learning-session view ({SNAPSHOT_VIEW}): the live app "
          f"(a kernel each, no cap) against the shared snapshot; time to the {what}")
    print(f"{'run':<26}{'served':>7}{'failed':>7}{'kernels':>8}{'peak GB':>9}{'added GB':>9}"
          f"{'page s med':>11}{'page s max':>11}")
    for label, r in ((f"live app, {viewers} kernels", live),
                     ("snapshot (static file)", snap)):
        print(f"{label:<26}{r['served']:>7}{r['other'] + r['busy']:>7}{r['kernels']:>8}"
              f"{r['peak_gb']:>9.2f}{r['peak_gb'] - r['idle_gb']:>9.3f}"
              f"{r['served_median']:>11.2f}{r['served_max']:>11.2f}")
    added_live = max(live["peak_gb"] - live["idle_gb"], 1e-9)
    print(f"snapshot / live app: peak memory {snap['peak_gb'] / live['peak_gb']:.2f}x, memory "
          f"the viewers added {(snap['peak_gb'] - snap['idle_gb']) / added_live:.3f}x, median "
          f"page {snap['served_median'] / live['served_median']:.3f}x, kernels "
          f"{snap['kernels']} vs {live['kernels']}")
    print(f"(the snapshot: written once in {snap['written_s']:.1f} s, {snap['size_mb']:.1f} MB, "
          f"BokehJS inline; idle server with its preheated kernel {snap['idle_gb']:.2f} GB)")


def main(argv: list[str] | None = None) -> None:
    import argparse

    from workbench.demo.build import build_demo

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", nargs="*", help="paint only these apps (and the floor)")
    parser.add_argument("--only",
                        choices=("paint", "cull", "redraw", "viewers", "scale", "steps",
                                 "snapshot"),
                        action="append", help="run only this part (repeatable); default: all")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--viewers", type=int, default=VIEWERS,
                        help=f"viewers at once in the viewers part (default {VIEWERS})")
    parser.add_argument("--browser-viewers", action="store_true",
                        help="viewers are Chromium pages (time to first widget painted) "
                             "instead of HTTP requests")
    parser.add_argument("--big-db", help="the large collaborative of the scale part (a file "
                        "built by `workbench demo --teams 2000 --indicators 10 --months 36 "
                        "--build-only`); default: one of --big-teams teams built here")
    parser.add_argument("--big-teams", type=int, default=200,
                        help="teams of the large collaborative built when --big-db is not "
                             "given (default 200)")
    args = parser.parse_args(argv)
    parts = set(args.only or ("paint", "cull", "redraw", "viewers", "scale", "snapshot"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = str(root / "demo.db")
        build_demo(db)
        if "paint" in parts:
            bench_paint(db, root, args.apps, args.repeats)
        if "cull" in parts:
            bench_culling(db, root)
        if "viewers" in parts:
            bench_viewers(db, root, args.viewers, args.browser_viewers)
        if "scale" in parts:
            big = args.big_db
            if big is None:
                big = str(root / "big.db")
                build_demo(big, teams=args.big_teams)
            bench_learning_scale({"demo": db, "large": big}, root, args.repeats)
        if "steps" in parts:  # the scale sequence in process, CPU seconds (no browser)
            bench_learning_steps(db, "demo")
            bench_learning_steps(args.big_db or scaled_demo(db, root / "demo200.db", 200),
                                 "large")
        if "snapshot" in parts:
            bench_snapshot_viewers(db, root, args.viewers, args.browser_viewers)
        if "redraw" in parts:
            bench_redraw(db, "demo")
            bench_redraw(scaled_demo(db, root / "demo100.db", teams=100), "scaled demo")


if __name__ == "__main__":
    main()
