// node:http without its ES module facade. `import … from 'node:http'` makes Node build an ES module
// of every export of http, which reads the lazy `WebSocket` getter and so loads undici: about 4 MB
// of RSS (the node agent's whole budget is 60 MB) for a client nothing here uses.
// process.getBuiltinModule hands over the CommonJS module as it is. Type imports are free.
export const http = process.getBuiltinModule('node:http');
