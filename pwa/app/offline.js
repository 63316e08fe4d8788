// The offline page's retry button (a file, not an inline handler: the CSP allows no inline script).
document.getElementById("retry").addEventListener("click", () => location.reload());
