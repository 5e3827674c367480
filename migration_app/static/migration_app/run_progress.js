// The run page follows a run that is not finished: it polls the run's small progress
// endpoint every two seconds and reloads once when the run has finished.
(function () {
  const box = document.getElementById("run-progress");
  if (!box || box.dataset.finished === "1") return;
  const bar = box.querySelector("progress");
  const text = document.getElementById("run-progress-text");
  const waiting = document.getElementById("run-waiting");
  const running = document.getElementById("run-running");
  const status = document.getElementById("run-status");
  async function poll() {
    try {
      const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const run = await response.json();
        if (run.finished) {
          window.location.reload();
          return;
        }
        bar.max = run.progress_total || 1;
        bar.value = run.progress_done;
        text.textContent = `${run.progress_done} / ${run.progress_total} (${run.percent}%)`;
        status.textContent = run.status_display;
        waiting.hidden = !run.waiting_for_worker;
        running.hidden = run.status !== "running";
      }
    } finally {
      window.setTimeout(poll, 2000);
    }
  }
  window.setTimeout(poll, 2000);
})();
