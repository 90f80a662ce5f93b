/**
 * ONNX Runtime's own telemetry, off unless the user says otherwise. Its Linux builds since 1.29
 * upload usage events to Microsoft (1DS: a process-info event, session and model events) and
 * leave an empty `/tmp/mat-debug-<pid>.log` behind for every process that creates a session.
 * Foresight runs inside customers' clusters next to their billing data, often with no egress:
 * it sends nothing anywhere it was not configured to. ORT_DISABLE_TELEMETRY=1 is ONNX Runtime's
 * full opt-out (no uploader, no device id, no file), read once when its environment is created,
 * so it is set here, before onnxruntime-node is loaded: every module that imports
 * onnxruntime-node imports this one first. An explicit ORT_DISABLE_TELEMETRY (e.g. 0) is kept.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export {};
