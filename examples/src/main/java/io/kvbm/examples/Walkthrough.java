package io.kvbm.examples;

public class Walkthrough {
    public static void main(String[] a) {
        System.out.println("hi");
    }
}
