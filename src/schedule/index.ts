export { Schedule, createSchedule, printSchedule } from './schedule.js';
export { Stage } from './stage.js';
export type { Annotation, Attach, LoopKind, StageDef, StorageAlign } from './stage.js';
export type { Relation, SplitRelation, FuseRelation, SplitMode } from './relation.js';
export { leafExtents, rootOffsets, splitExtents } from './relation.js';
export { ScheduleError } from './error.js';
export type { Prim, Step, StepArgs } from './step.js';
export { printStep, printSteps, THREAD_TAGS } from './step.js';
export { replaySchedule } from './replay.js';
