package org.browseros.ipc.main.security;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Collectors;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;

/**
 * Checks decoded payload records against their Jakarta Bean Validation constraints (Hibernate
 * Validator). One factory per JVM: building it is slow, using it is thread-safe.
 */
public final class PayloadValidator {
  private static final ValidatorFactory FACTORY = Validation.buildDefaultValidatorFactory();
  private static final Validator VALIDATOR = FACTORY.getValidator();
  // Whether a type has anything to validate (constraints or cascades), asked once per type; JSON
  // trees (dynamic channels) have nothing.
  private static final ClassValue<Boolean> CONSTRAINED = new ClassValue<>() {
    @Override
    protected Boolean computeValue(Class<?> type) {
      return !type.getName().startsWith("com.fasterxml") && VALIDATOR.getConstraintsForClass(type).isBeanConstrained();
    }
  };

  private PayloadValidator() {}

  /**
   * @throws IpcException VALIDATION naming the offending field(s), e.g. {@code tabId: must not be blank}
   */
  public static void validate(Object payload) {
    if (payload == null || !CONSTRAINED.get(payload.getClass())) {
      return;
    }
    Set<ConstraintViolation<Object>> violations = VALIDATOR.validate(payload);
    if (!violations.isEmpty()) {
      String message = violations.stream()
          .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
          .map(v -> v.getPropertyPath() + ": " + v.getMessage())
          .distinct()
          .collect(Collectors.joining("; "));
      throw new IpcException(ErrorCode.VALIDATION, "Invalid " + payload.getClass().getSimpleName() + ": " + message);
    }
  }
}
