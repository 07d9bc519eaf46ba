#!/usr/bin/env node
// `tidings` for a checkout: npm links the bins of workspace packages into node_modules/.bin, not
// the root package's own, so this workspace names the same launcher (bin/tidings.js) there.
import '../../bin/tidings.js';
