#include "server/rpc/call_gate.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "inference/grpc_service.grpc.pb.h"
#include "jkoflow/v1/flow.grpc.pb.h"
#include "jkoflow/v1/training.grpc.pb.h"
#include "server/auth/auth_policy.h"

namespace jkoflow {
namespace {

// Every service the server registers, found through its proto file.
std::vector<const google::protobuf::ServiceDescriptor*> ServedServices() {
  // The generated classes register their files with the pool.
  const google::protobuf::FileDescriptor* files[] = {
      v1::ListModelsRequest::descriptor()->file(),
      v1::CreateTrainingJobRequest::descriptor()->file(),
      inference::ModelInferRequest::descriptor()->file(),
  };
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int i = 0; i < file->service_count(); ++i) {
      services.push_back(file->service(i));
    }
  }
  return services;
}

TEST(CallGateTest, EveryMethodOfEveryServiceHasARoleInTheTable) {
  const std::vector<const google::protobuf::ServiceDescriptor*> services =
      ServedServices();
  ASSERT_EQ(services.size(), 3u);
  int methods = 0;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string full =
          "/" + service->full_name() + "/" + service->method(i)->name();
      EXPECT_TRUE(RoleInTable(full).has_value()) << full << " has no role";
      EXPECT_EQ(MethodIndex(service->full_name(), service->method(i)->name()),
                i)
          << full;
      ++methods;
    }
  }
  EXPECT_EQ(methods, 20);
}

TEST(CallGateTest, TheTableGivesEachRoleItsReach) {
  EXPECT_EQ(RequiredRole("/jkoflow.v1.FlowService/Sample"), Role::kRead);
  EXPECT_EQ(RequiredRole("/jkoflow.v1.TrainingService/TrainBlock"),
            Role::kTrain);
  EXPECT_EQ(RequiredRole("/jkoflow.v1.FlowService/LoadModel"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("/inference.GRPCInferenceService/ModelInfer"),
            Role::kRead);
  // A method outside the table needs admin.
  EXPECT_FALSE(RoleInTable("/jkoflow.v1.FlowService/Unknown").has_value());
  EXPECT_EQ(RequiredRole("/jkoflow.v1.FlowService/Unknown"), Role::kAdmin);
}

TEST(CallGateTest, MethodIndexOfAnUnknownServiceOrMethodIsMinusOne) {
  EXPECT_EQ(MethodIndex("jkoflow.v1.NoSuchService", "Sample"), -1);
  EXPECT_EQ(MethodIndex("jkoflow.v1.FlowService", "NoSuchMethod"), -1);
  EXPECT_EQ(MethodIndex("jkoflow.v1.FlowService", "ListModels"), 0);
}

TEST(CallGateTest, WithoutAnAuthenticatorEveryCallIsAdmitted) {
  const CallGate gate(nullptr, nullptr);
  grpc::CallbackServerContext context;
  EXPECT_TRUE(gate.Admit(context, "/jkoflow.v1.FlowService/LoadModel").ok());
}

}  // namespace
}  // namespace jkoflow
