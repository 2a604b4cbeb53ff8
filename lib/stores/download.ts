// Saves bytes as a file the browser way: a Blob URL on an <a download>, clicked, then released.

export function saveBytes(fileName: string, bytes: ArrayBuffer, type = 'application/zip'): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Some browsers read the URL after click() returns; release it a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
