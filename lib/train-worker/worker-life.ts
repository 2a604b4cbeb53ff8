// The message a worker posts once it holds its life lock (a Web Lock held until it ends): the page then asks for
// the same lock, which it is granted only when the worker is gone, however it went (client.ts). Its own module,
// so that the worker file imports it without the client (which starts workers).
export const WORKER_ALIVE = 'worker-alive';
