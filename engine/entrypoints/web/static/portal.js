// While the system makes a stage's documents, the duty page refreshes itself until they are there.
(function () {
  var duty = document.getElementById("duty");
  if (duty && duty.dataset.pending) {
    setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
