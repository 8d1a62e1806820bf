package io.kvbm.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Lets a test end with blocks still held; {@link BlockInvariantsExtension} then checks only the store's invariants and
 * the conservation of blocks, not that everything was returned.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface HeldBlocksAllowed {}
