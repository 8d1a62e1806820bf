package io.kvbm.block;

/**
 * The storage tier a {@link io.kvbm.manager.BlockManager} manages blocks for.
 *
 * <p>A tier is a label, not a behaviour: every tier has the same lifecycle. It keys the per-tier presence counts of
 * the shared {@link io.kvbm.registry.BlockRegistry}, tags metrics ({@code pool="G1"}) and names the source of
 * events, so that several managers (one per tier) can share one registry and still be told apart. The names follow
 * Dynamo's KVBM: {@code G1} device memory, {@code G2} host memory, {@code G3} local disk, {@code G4} remote or
 * external storage.
 */
public enum StorageTier {
    /** Device (GPU) memory: the tier the model reads KV blocks from. */
    G1,
    /** Host (CPU) memory, typically pinned, used to offload and onboard G1 blocks. */
    G2,
    /** Local disk (NVMe), the large, slower cache behind G2. */
    G3,
    /** External or remote storage shared between workers. */
    G4
}
