export {
  type CapturedAttributes,
  type CapturedLog,
  type CapturedMetric,
  type CapturedSpan,
  type CapturedSpanKind,
  type CapturedStatusCode,
  type CapturedValue,
  type CaptureResponseMode,
  type OtlpCapture,
  type OtlpCaptureOptions,
  startOtlpCapture,
  type WaitForOptions,
} from './otlp-capture';
