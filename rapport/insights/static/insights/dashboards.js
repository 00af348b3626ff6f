// Draw the dashboard charts from the JSON the page embeds (#insights-charts).
// No inline script and no eval: the content security policy stays strict.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("insights-charts");
    if (!source || typeof window.Chart === "undefined") return;
    var specs = JSON.parse(source.textContent);
    var palette = specs.palette || ["#4f46e5"];
    var Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#626a82";
    Chart.defaults.animation = false;

    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[canvas.getAttribute("data-chart")];
      if (!spec) return;
      var colours = spec.colours || palette;
      var single = spec.datasets.length === 1 && spec.type === "bar" && !spec.stacked;
      var datasets = spec.datasets.map(function (dataset, index) {
        var colour = colours[index % colours.length];
        return {
          label: dataset.label,
          data: dataset.data,
          backgroundColor: spec.type === "line" ? colour + "33" : colour,
          borderColor: colour,
          borderWidth: spec.type === "line" ? 2 : 0,
          borderRadius: spec.type === "bar" ? 3 : 0,
          pointRadius: spec.labels.length > 40 ? 0 : 3,
          spanGaps: true,
          tension: 0,
          maxBarThickness: 48,
        };
      });
      var valueAxis = {
        beginAtZero: spec.type === "bar",
        stacked: !!spec.stacked,
        title: { display: !!spec.unit, text: spec.unit },
        grid: { color: "#eef0f5" },
      };
      if (spec.max) valueAxis.max = spec.max;
      // Counts are whole numbers: no 0.5-conversation ticks.
      if (spec.integer) valueAxis.ticks = { precision: 0 };
      var labelAxis = { stacked: !!spec.stacked, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } };
      new Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          indexAxis: spec.horizontal ? "y" : "x",
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { display: !single, position: "bottom", labels: { boxWidth: 12 } },
          },
          scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        },
      });
      canvas.setAttribute("data-drawn", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
