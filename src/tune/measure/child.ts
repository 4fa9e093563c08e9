/**
 * @file Entry point of a measuring worker process (forked by measurer.ts with tsx's loader).
 */

import { serve } from './worker.js';

serve();
