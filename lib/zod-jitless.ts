// Imported first by each route's root component: zod parses without compiling code (`new Function`), which the
// page's CSP refuses (lib/csp.ts); even zod's probe for it would be reported as a violation.
import { z } from 'zod';

z.config({ jitless: true });
