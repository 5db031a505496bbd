// Another module called server: the stem alone cannot tell which one dist/server.mjs is.
export const serverRouter = {};
