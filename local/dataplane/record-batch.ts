/**
 * Record batches (magic 2), kept as opaque bytes: the broker only reads the header fields it
 * needs (offsets, timestamps, record count), checks the CRC-32C like a real broker, and patches
 * baseOffset and partitionLeaderEpoch, which the CRC does not cover. Layout per Kafka's
 * DefaultRecordBatch: baseOffset int64 @0, batchLength int32 @8, partitionLeaderEpoch int32 @12,
 * magic int8 @16, crc uint32 @17, attributes int16 @21, lastOffsetDelta int32 @23,
 * baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43, producerEpoch int16 @51,
 * baseSequence int32 @53, recordCount int32 @57, records @61.
 */
import { crc32c, ErrorCode, Reader } from './kafka-protocol.js';

const HEADER_BYTES = 61;
const CRC_FROM = 21;

export class RecordBatchError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.name = 'RecordBatchError';
    this.errorCode = errorCode;
  }
}

export interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: Buffer;
}

/**
 * Validates the single batch a Produce v3+ request carries for one partition and returns its
 * bytes (copied) with its record count. Kafka refuses other magics and several batches per
 * partition with INVALID_RECORD, and a CRC mismatch with CORRUPT_MESSAGE.
 */
export function parseProducedBatch(records: Buffer): { bytes: Buffer; lastOffsetDelta: number } {
  if (records.length < HEADER_BYTES)
    throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, 'record batch too short');
  const magic = records.readInt8(16);
  if (magic !== 2)
    throw new RecordBatchError(
      ErrorCode.INVALID_RECORD,
      `record batch magic ${magic}: only magic 2 is accepted`,
    );
  const total = 12 + records.readInt32BE(8);
  if (total < HEADER_BYTES || total > records.length)
    throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, 'record batch length does not match its bytes');
  if (total !== records.length)
    throw new RecordBatchError(
      ErrorCode.INVALID_RECORD,
      'exactly one record batch per partition is accepted',
    );
  if (crc32c(records.subarray(CRC_FROM, total)) !== records.readUInt32BE(17))
    throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch');
  const lastOffsetDelta = records.readInt32BE(23);
  const recordCount = records.readInt32BE(57);
  if (recordCount <= 0 || lastOffsetDelta < 0)
    throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'record batch holds no records');
  return { bytes: Buffer.from(records), lastOffsetDelta };
}

/** Assigns offsets: patches baseOffset and the leader epoch in place (neither is under the CRC). */
export function assignOffsets(bytes: Buffer, baseOffset: bigint, leaderEpoch: number): StoredBatch {
  bytes.writeBigInt64BE(baseOffset, 0);
  bytes.writeInt32BE(leaderEpoch, 12);
  const lastOffsetDelta = bytes.readInt32BE(23);
  return {
    baseOffset,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    maxTimestamp: bytes.readBigInt64BE(35),
    bytes,
  };
}

/**
 * The first offset in the batch whose record timestamp is >= `timestamp`, with that timestamp.
 * Uncompressed batches are read record by record; for compressed ones (attributes & 7 != 0) the
 * records are not decompressed and the batch's base offset and max timestamp stand for it.
 */
export function firstOffsetAtOrAfter(
  batch: StoredBatch,
  timestamp: bigint,
): { offset: bigint; timestamp: bigint } | null {
  if (batch.maxTimestamp < timestamp) return null;
  const b = batch.bytes;
  if ((b.readInt16BE(21) & 0x07) !== 0) return { offset: batch.baseOffset, timestamp: batch.maxTimestamp };
  const baseTimestamp = b.readBigInt64BE(27);
  const count = b.readInt32BE(57);
  const r = new Reader(b.subarray(HEADER_BYTES));
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const rec = new Reader(r.raw(length));
    rec.int8(); // attributes
    const ts = baseTimestamp + rec.varlong();
    const offsetDelta = rec.varint();
    if (ts >= timestamp) return { offset: batch.baseOffset + BigInt(offsetDelta), timestamp: ts };
  }
  return { offset: batch.baseOffset, timestamp: batch.maxTimestamp };
}
