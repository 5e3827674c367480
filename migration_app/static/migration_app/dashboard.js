// The dashboard follows the runs in progress through their small progress endpoints.
(function () {
  const rows = document.querySelectorAll("#dashboard tr.active-run");
  if (!rows.length) return;
  async function poll() {
    for (const row of rows) {
      try {
        const response = await fetch(row.dataset.progressUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) continue;
        const run = await response.json();
        const bar = row.querySelector("progress");
        bar.max = run.progress_total || 1;
        bar.value = run.progress_done;
        row.querySelector(".progress-text").textContent = `${run.progress_done} / ${run.progress_total}`;
        if (run.finished) row.querySelector(".run-state").textContent = run.status_display;
        else if (!run.waiting_for_worker) row.querySelector(".run-state").textContent = "running";
      } catch (error) {
        // The next round tries again.
      }
    }
    window.setTimeout(poll, 3000);
  }
  window.setTimeout(poll, 3000);
})();
