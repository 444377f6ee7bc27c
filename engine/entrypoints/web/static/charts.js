// Draw the notice page's charts from the JSON the server put in the page (no inline script: the CSP forbids it).
(function () {
  document.querySelectorAll("[data-figure]").forEach(function (holder) {
    var source = document.getElementById(holder.dataset.figure);
    if (!source || !window.Plotly) { return; }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(holder, figure.data, figure.layout, {displayModeBar: false, responsive: true});
  });
})();
